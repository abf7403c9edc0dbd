"""State changes of devices, from the app side or the device side, and what they push."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from .hub import Session
from .state import Device, HistoryEntry, now_ms
from .uiids import model_for
from .uiids.meters import ui_active_seconds

if TYPE_CHECKING:
    from .cloud import Cloud

FOLLOWUP_DELAY_S = 0.2


def ops_switchs(changes: dict[str, Any]) -> list[str]:
    """Which channels a change touched: `switch`, or `switches.<outlet>` per outlet."""
    names: list[str] = []
    for key, value in changes.items():
        if key == "switches" and isinstance(value, list):
            names += [f"switches.{item.get('outlet')}" for item in value]
        elif key in ("switch", "state"):
            names.append(key)
    return names


def record_history(
    cloud: Cloud, device: Device, changes: dict[str, Any], agent: str, account: str
) -> None:
    if not changes or not device.settings.get("opsHistory", 1):
        return
    entry = HistoryEntry(
        device.deviceid, agent, ops_switchs(changes), dict(changes), account, now_ms()
    )
    cloud.state.add_history(entry)


def update_frame(device: Device, params: dict[str, Any], sequence: Any = None) -> dict[str, Any]:
    frame = {
        "action": "update",
        "deviceid": device.deviceid,
        "apikey": device.owner,
        "userAgent": "device",
        "params": params,
    }
    if sequence is not None:
        frame["sequence"] = sequence
    return frame


async def app_update(
    cloud: Cloud,
    device: Device,
    params: dict[str, Any],
    actor: str,
    origin: Session | None = None,
    sequence: Any = None,
) -> dict[str, Any]:
    """An app command the device accepted: merge, log, push to every other socket.

    The sender gets only its reply (notes §2.6): the cloud does not echo state back to it.
    """
    changes = model_for(device.uiid).apply(device.params, params)
    note_ui_active(cloud, device, params)
    note_changes(cloud, device, changes)
    account = cloud.state.accounts.get(actor)
    record_history(cloud, device, changes, "app", account.login_name if account else actor)
    if changes:
        frame = update_frame(device, changes, sequence)
        await cloud.hub.push(cloud.hub.audience(device), frame, exclude=origin)
    followup = model_for(device.uiid).followup(device.params, changes)
    if followup:
        cloud.spawn_for_state(_report_later(cloud, device, followup))
    return changes


def note_ui_active(cloud: Cloud, device: Device, params: dict[str, Any]) -> None:
    if "uiActive" in params:
        device.ui_active_until = time.time() + ui_active_seconds(params["uiActive"])


async def _report_later(cloud: Cloud, device: Device, params: dict[str, Any]) -> None:
    await asyncio.sleep(FOLLOWUP_DELAY_S)
    await device_update(cloud, device, params)


def note_changes(cloud: Cloud, device: Device, changes: dict[str, Any]) -> None:
    cloud.state.dirty = True
    if "timers" in changes:
        cloud.state.timers_changed.add(device.deviceid)  # the timer runner re-indexes it


async def device_update(
    cloud: Cloud, device: Device, params: dict[str, Any], history: bool = True
) -> dict[str, Any]:
    """The device reports a change: merge by the UIID rules, log, push to all its sockets.

    `history=False` for bookkeeping a device reports without an operation (a once timer it
    disabled after firing).
    """
    changes = model_for(device.uiid).merge(device.params, dict(params))
    if "fwVersion" in changes:
        device.fw_version = str(changes["fwVersion"])
    note_changes(cloud, device, changes)
    if history:
        record_history(cloud, device, changes, "device", "")
    await cloud.hub.push(cloud.hub.audience(device), update_frame(device, changes))
    return changes


def sysmsg_frame(device: Device, online: bool) -> dict[str, Any]:
    return {
        "action": "sysmsg",
        "deviceid": device.deviceid,
        "apikey": device.owner,
        "ts": int(time.time()),
        "params": {"online": online},
    }


async def set_online(cloud: Cloud, device: Device, online: bool) -> None:
    """Online flips push `sysmsg`; Zigbee children follow their bridge."""
    devices = [device, *cloud.state.children_of(device.deviceid)]
    for item in devices:
        if item.online == online:
            continue
        item.online = online
        cloud.state.dirty = True
        await cloud.hub.push(cloud.hub.audience(item), sysmsg_frame(item, online))
    if cloud.settings.odd_frames and devices[1:]:
        await push_bridge_oddities(cloud, device, devices[1:], online)


async def push_bridge_oddities(
    cloud: Cloud, bridge: Device, children: list[Device], online: bool
) -> None:
    """Undocumented frames real clients meet (notes §2.4), only when switched on."""
    report = {
        "action": "reportSubDevice",
        "deviceid": bridge.deviceid,
        "apikey": bridge.owner,
        "params": {"subDevices": [c.deviceid for c in children]},
    }
    await cloud.hub.push(cloud.hub.audience(bridge), report)
    if online:
        return
    for child in children:
        await cloud.hub.push(cloud.hub.audience(child), update_frame(child, {"subDevRssi": 127}))
