"""App commands on the websocket: `update`, `query` and `upgrade`, with their replies."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from . import device_changes, permits
from .hub import Session, dumps
from .state import Device, Share
from .uiids import ParamError, model_for

if TYPE_CHECKING:
    from .cloud import Cloud


class CommandError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def reply(frame: dict[str, Any], error: int = 0, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "error": error,
        "deviceid": frame.get("deviceid"),
        "apikey": frame.get("apikey"),
        "sequence": frame.get("sequence"),
    }
    return out | extra


async def dispatch(cloud: Cloud, session: Session, frame: dict[str, Any]) -> None:
    """Route one frame; a device that answers late is served in its own task."""
    cloud.counters.commands_received += 1
    action = frame.get("action")
    if action not in HANDLERS:
        await session.send(dumps(reply(frame, 400, reason=f"unknown action {action!r}")))
        return
    try:
        device = authorize(cloud, session, frame)
    except CommandError as exc:
        await session.send(dumps(reply(frame, exc.code, reason=exc.reason)))
        return
    if device.unresponsive or device.reply_delay_ms:
        cloud.spawn_for_state(answer(cloud, session, frame, device))
    else:
        await answer(cloud, session, frame, device)


def authorize(cloud: Cloud, session: Session, frame: dict[str, Any]) -> Device:
    """Accept both forms the documents give for a device the session owns or is shared.

    API document: `apikey` = the sender's own apikey. Notes §2.5: `apikey` = the device
    owner's apikey plus `selfApikey` = the sender's own. A sharee gets the share's rights.
    """
    device = cloud.state.devices.get(str(frame.get("deviceid")))
    if device is None or not device.visible_to(session.apikey):
        raise CommandError(405, "device not found")
    apikey, self_apikey = frame.get("apikey"), frame.get("selfApikey")
    if self_apikey is not None and self_apikey != session.apikey:
        raise CommandError(406, "selfApikey does not match this session")
    if apikey == session.apikey:
        form = "own_apikey"
    elif apikey == device.owner:
        if self_apikey is None:
            raise CommandError(406, "selfApikey must be your own apikey for a shared device")
        form = "owner_apikey"
    else:
        raise CommandError(406, "apikey must be your own or the device owner's apikey")
    share = device.shares.get(session.apikey)
    if share is not None and device.owner != session.apikey:
        check_permit(device, share, frame)
        cloud.counters.shared_commands[form] += 1
    return device


def check_permit(device: Device, share: Share, frame: dict[str, Any]) -> None:
    """The share's `permit` bits guard timer changes; other params are open to sharees."""
    if frame.get("action") != "update":
        return
    try:
        params = params_of(frame)
    except ParamError:
        return  # the update handler answers 400
    if "timers" not in params:
        return
    lacking = permits.missing_rights(share.permit, device.params.get("timers"), params["timers"])
    if lacking:
        raise CommandError(406, f"the share does not permit: {', '.join(lacking)} timer")


async def answer(cloud: Cloud, session: Session, frame: dict[str, Any], device: Device) -> None:
    if not device.online:
        await session.send(dumps(reply(frame, 503, reason="Device Offline")))
        return
    timeout_s = cloud.settings.device_timeout_ms / 1000
    if device.unresponsive or device.reply_delay_ms / 1000 > timeout_s:
        await asyncio.sleep(timeout_s)
        await session.send(dumps(reply(frame, 504, reason="Request Timeout")))
        return
    if device.reply_delay_ms:
        await asyncio.sleep(device.reply_delay_ms / 1000)
    failed = cloud.faults.take("command_error", device.deviceid)
    if failed is not None:  # e.g. the undocumented 411 of busy Zigbee bridges (notes §2.4)
        await session.send(dumps(reply(frame, int(failed.error))))
        return
    try:
        out = await HANDLERS[frame["action"]](cloud, session, frame, device)
    except ParamError as exc:
        out = reply(frame, 400, reason=str(exc))
    await session.send(dumps(out))
    if cloud.settings.odd_frames:
        # Real clients meet replies without `sequence` (notes §2.4).
        await session.send(dumps({k: v for k, v in out.items() if k != "sequence"}))


def params_of(frame: dict[str, Any]) -> dict[str, Any]:
    """`params` is an object, or per the API document an array of objects."""
    params = frame.get("params")
    if isinstance(params, list) and all(isinstance(p, dict) for p in params):
        merged: dict[str, Any] = {}
        for part in params:
            merged.update(part)
        return merged
    if not isinstance(params, dict) or not params:
        raise ParamError("params must be a non-empty object")
    return params


async def on_update(
    cloud: Cloud, session: Session, frame: dict[str, Any], device: Device
) -> dict[str, Any]:
    params = params_of(frame)
    await device_changes.app_update(
        cloud, device, params, session.apikey, session, frame.get("sequence")
    )
    return reply(frame)


async def on_query(
    cloud: Cloud, session: Session, frame: dict[str, Any], device: Device
) -> dict[str, Any]:
    wanted = frame.get("params") or []
    if not isinstance(wanted, list) or not all(isinstance(k, str) for k in wanted):
        raise ParamError("query params must be an array of names")
    names = [k.strip() for k in wanted]
    if names == ["hundredDaysKwhData"]:
        # A meter's stored energy history comes back under `config`, not `params` (notes §2.4).
        history = model_for(device.uiid).followup(device.params, {"hundredDaysKwh": "get"})
        if history:
            return reply(frame, config=history)
    params = {k: v for k, v in device.params.items() if not names or k in names}
    return reply(frame, params=params)


async def on_upgrade(
    cloud: Cloud, session: Session, frame: dict[str, Any], device: Device
) -> dict[str, Any]:
    params = frame.get("params")
    if not isinstance(params, dict) or not isinstance(params.get("version"), str):
        raise ParamError("upgrade needs params.version")
    if params["version"] != device.ota_version:
        raise ParamError("no such firmware for this device")
    cloud.spawn_for_state(reboot_with(cloud, device, params["version"]))
    return reply(frame, userAgent="device")


async def reboot_with(cloud: Cloud, device: Device, version: str) -> None:
    """OTA: the device drops offline, reboots, and comes back reporting its fwVersion.

    The device's `ota_outcome` decides: `succeed` reports the new version; `fail` reports
    the old one (the app judges failure by comparing versions) and the offer stays; `hang`
    stays offline until `/_sim/devices/{id}/online` revives it with the old version.
    """
    outcome = device.ota_outcome
    pause = cloud.settings.ota_reboot_s
    await asyncio.sleep(pause / 2)
    await device_changes.set_online(cloud, device, False)
    if outcome == "hang":
        device.ota_hung = True
        return
    await asyncio.sleep(pause)
    if outcome == "succeed":
        device.ota_version = None
    else:
        version = device.fw_version
    await device_changes.set_online(cloud, device, True)
    await device_changes.device_update(cloud, device, {"fwVersion": version})


async def revive_hung(cloud: Cloud, device: Device) -> None:
    """A hung upgrade ends when the device is brought back: it reboots on its old firmware."""
    device.ota_hung = False
    await device_changes.set_online(cloud, device, True)
    await device_changes.device_update(cloud, device, {"fwVersion": device.fw_version})


HANDLERS = {"update": on_update, "query": on_query, "upgrade": on_upgrade}
