"""[Device] category: things, status, control, add/delete, tags, settings, history, OTA."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from cloudsim import device_changes
from cloudsim.responses import (
    BATCH_OFFLINE,
    CONTROL_FAILED,
    DENIED,
    DEVICE_UNKNOWN,
    DEVICEID_FORMAT,
    DIGEST,
    NOT_FOUND,
    PARAMS,
    ApiError,
    ill_typed,
)
from cloudsim.signing import device_digest
from cloudsim.state import Device, now_ms
from cloudsim.things import device_item, family_things, group_item, page
from cloudsim.uiids import ParamError

from .base import Call, endpoint

DEVICEID = re.compile(r"^[0-9a-f]{10}$")
MIN_INDEX = -9999999


@endpoint("GET", "/v2/device/thing")
async def thing_list(call: Call) -> dict[str, Any]:
    family = call.family(call.string("familyid", required=False))
    num = call.integer("num", default=30, lo=0)
    begin = call.integer("beginIndex", default=MIN_INDEX)
    items = family_things(call.cloud.state, call.account.apikey, family.id)
    return {"thingList": page(items, num, begin), "total": len(items)}


@endpoint("POST", "/v2/device/thing")
async def specified_things(call: Call) -> dict[str, Any]:
    wanted = call.array("thingList", lo=1, hi=10)
    state, me = call.cloud.state, call.account.apikey
    items = []
    for entry in wanted:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ill_typed("thingList")
        if entry.get("itemType") == 3:
            group = state.groups.get(entry["id"])
            if group is not None and group.owner == me:
                items.append(group_item(group))
            continue
        device = state.devices.get(entry["id"])
        if device is not None and device.visible_to(me):
            items.append(device_item(state, device, me))
    return {"thingList": items}


def target_type(call: Call) -> int:
    kind = call.integer("type")
    if kind not in (1, 2):
        raise ApiError(PARAMS, "params error: type")
    return kind


@endpoint("GET", "/v2/device/thing/status")
async def thing_status(call: Call) -> dict[str, Any]:
    kind, thing_id = target_type(call), call.string("id")
    wanted = [p for p in (call.string("params", required=False) or "").split("|") if p]
    thing = own_group(call, thing_id) if kind == 2 else call.device(thing_id)
    params = thing.params
    return {"params": {k: v for k, v in params.items() if not wanted or k in wanted}}


@endpoint("POST", "/v2/device/thing/status")
async def set_thing_status(call: Call) -> dict[str, Any]:
    kind, thing_id, params = target_type(call), call.string("id"), call.obj("params")
    if kind == 2:
        await control_group(call, own_group(call, thing_id), params)
        return {}
    device = call.device(thing_id)
    code = await control_device(call, device, params)
    if code == BATCH_OFFLINE:
        raise ApiError(CONTROL_FAILED, "device offline")
    if code:
        raise ApiError(code, "control failed")
    return {}


def own_group(call: Call, group_id: str) -> Any:
    group = call.cloud.state.groups.get(group_id)
    if group is None:
        raise ApiError(NOT_FOUND, "group not found")
    if group.owner != call.account.apikey:
        raise ApiError(DENIED, "access denied")
    return group


async def control_device(call: Call, device: Device, params: dict[str, Any]) -> int:
    """Send a command like the websocket would; return 0, 30022 (offline) or an error code."""
    if not device.online:
        return BATCH_OFFLINE
    timeout_s = call.cloud.settings.device_timeout_ms / 1000
    if device.unresponsive or device.reply_delay_ms / 1000 > timeout_s:
        return CONTROL_FAILED
    try:
        await device_changes.app_update(call.cloud, device, params, call.account.apikey)
    except ParamError as exc:
        raise ApiError(PARAMS, str(exc)) from None
    return 0


async def control_group(call: Call, group: Any, params: dict[str, Any]) -> None:
    """Groups ignore offline members and sending failures (API document)."""
    group.params.update(params)
    call.cloud.state.dirty = True
    for deviceid in group.deviceids:
        device = call.cloud.state.devices.get(deviceid)
        if device is None or not device.online or device.unresponsive:
            continue
        try:
            await device_changes.app_update(call.cloud, device, dict(params), group.owner)
        except ParamError:
            continue


@endpoint("POST", "/v2/device/thing/batch-status")
async def batch_status(call: Call) -> dict[str, Any]:
    things = call.array("thingList", lo=1, hi=10)
    timeout = call.integer("timeout", default=0, lo=0, hi=8000)
    ids = [t.get("id") if isinstance(t, dict) else None for t in things]
    if len(set(ids)) != len(ids):
        raise ApiError(PARAMS, "params error: ids in thingList must be unique")
    results = []
    for thing in things:
        results.append(await batch_one(call, thing, timeout))
    return {"respList": results}


async def batch_one(call: Call, thing: Any, wait_ms: int) -> dict[str, Any]:
    if not isinstance(thing, dict) or not isinstance(thing.get("params"), dict):
        raise ill_typed("thingList")
    kind, thing_id = thing.get("type"), thing.get("id")
    if kind not in (1, 2) or not isinstance(thing_id, str):
        raise ill_typed("thingList")
    if kind == 2:
        await control_group(call, own_group(call, thing_id), thing["params"])
        return {"type": 2, "id": thing_id, "error": 0}
    code = await control_device(call, call.device(thing_id), thing["params"])
    if code == CONTROL_FAILED and wait_ms:
        await asyncio.sleep(wait_ms / 1000)
    return {"type": 1, "id": thing_id, "error": code if wait_ms else 0}


def place(call: Call) -> tuple[str, str]:
    """familyid/roomid of a new thing: current home and [Unallocated] by default."""
    family = call.family(call.string("familyid", required=False))
    roomid = call.string("roomid", required=False) or ""
    if roomid and all(r.id != roomid for r in family.rooms):
        raise ApiError(NOT_FOUND, "room not found")
    return family.id, roomid


def claim(call: Call, device: Device, name: str) -> dict[str, Any]:
    familyid, roomid = place(call)
    sort = call.integer("sort", default=1)
    state = call.cloud.state
    device.name, device.familyid, device.roomid = name, familyid, roomid
    device.index = state.next_index(familyid, smaller=sort != 2)
    state.set_owner(device, call.account.apikey)
    settings = call.obj("settings", required=False)
    device.settings.update(settings)
    return device_item(state, device, call.account.apikey)


@endpoint("POST", "/v2/device/add")
async def add_device(call: Call) -> dict[str, Any]:
    name, deviceid, digest = call.string("name"), call.string("deviceid"), call.string("digest")
    if not DEVICEID.match(deviceid):
        raise ApiError(DEVICEID_FORMAT, "deviceid format error")
    device = call.cloud.state.devices.get(deviceid)
    if device is None:
        raise ApiError(DEVICE_UNKNOWN, "device not found")
    if digest.lower() != device_digest(deviceid, device.devicekey):
        raise ApiError(DIGEST, "digest error")
    if device.owner not in (None, call.account.apikey):
        raise ApiError(DENIED, "device belongs to another account")
    return claim(call, device, name)


@endpoint("POST", "/v2/device/add-gsm")
async def add_gsm(call: Call) -> dict[str, Any]:
    gsm_id, name = call.string("id"), call.string("name")
    match = [d for d in call.cloud.state.devices.values() if d.gsm_id == gsm_id]
    if not match:
        raise ApiError(DEVICE_UNKNOWN, "device not found")
    if match[0].owner is not None:
        raise ApiError(30007, "gsm device already added by another user")
    return {"thingList": [claim(call, match[0], name)]}


@endpoint("POST", "/v2/device/update-info")
async def update_info(call: Call) -> dict[str, Any]:
    device = call.device(call.string("deviceid"), owner_only=True)
    name = call.string("name", required=False)
    roomid = call.string("roomid", required=False)
    if roomid is not None:
        family = call.family(None)
        if device.familyid != family.id or all(r.id != roomid for r in family.rooms):
            raise ApiError(PARAMS, "roomid must be a room of the current home")
        device.roomid = roomid
    if name:
        device.name = name
    call.cloud.state.dirty = True
    return {}


@endpoint("DELETE", "/v2/device")
async def delete_device(call: Call) -> dict[str, Any]:
    device = call.device(call.string("deviceid"))
    me, state = call.account.apikey, call.cloud.state
    if device.owner != me:
        device.shares.pop(me, None)  # deleting a device shared with me ends the share
    else:
        device.shares.clear()
        state.set_owner(device, None)
        for group in state.groups.values():
            if device.deviceid in group.deviceids:
                group.deviceids.remove(device.deviceid)
    state.dirty = True
    return {}


@endpoint("POST", "/v2/device/tags")
async def change_tags(call: Call) -> dict[str, Any]:
    device = call.device(call.string("deviceid"), owner_only=True)
    mode = call.string("type", required=False, default="replace")
    tags = call.obj("tags")
    if mode not in ("replace", "merge"):
        raise ApiError(PARAMS, "params error: type")
    device.tags = tags if mode == "replace" else device.tags | tags
    call.cloud.state.dirty = True
    return {"updatedThing": device_item(call.cloud.state, device, call.account.apikey)}


SETTING_KEYS = ("opsNotify", "opsHistory", "alarmNotify")


@endpoint("POST", "/v2/device/settings")
async def change_settings(call: Call) -> dict[str, Any]:
    device = call.device(call.string("deviceid"), owner_only=True)
    settings = call.obj("settings")
    for key, value in settings.items():
        if key in SETTING_KEYS and value not in (0, 1):
            raise ApiError(PARAMS, f"params error: settings.{key}")
    device.settings.update(settings)
    call.cloud.state.dirty = True
    return {"updatedThing": device_item(call.cloud.state, device, call.account.apikey)}


@endpoint("GET", "/v2/device/history")
async def history(call: Call) -> dict[str, Any]:
    device = call.device(call.string("deviceid"))
    start = call.integer("from", default=now_ms() + 1)
    num = call.integer("num", default=30, lo=1, hi=30)
    entries = call.cloud.state.history.get(device.deviceid) or ()
    older = [e for e in reversed(entries) if e.ops_time < start][:num]
    return {
        "histories": [
            {
                "deviceid": e.deviceid,
                "userAgent": e.user_agent,
                "opsSwitchs": e.ops_switchs,
                "request": as_text(e.request),
                "opsAccount": e.ops_account,
                "opsTime": e.ops_time,
            }
            for e in older
        ]
    }


def as_text(request: Any) -> str:
    return request if isinstance(request, str) else json.dumps(request, separators=(",", ":"))


@endpoint("DELETE", "/v2/device/history")
async def clean_history(call: Call) -> dict[str, Any]:
    device = call.device(call.string("deviceid"), owner_only=True)
    call.cloud.state.history.pop(device.deviceid, None)
    call.cloud.state.dirty = True
    return {}


@endpoint("POST", "/v2/device/ota/query")
async def ota_query(call: Call) -> dict[str, Any]:
    wanted = call.array("deviceInfoList", lo=1, hi=30)
    found = []
    for info in wanted:
        if not isinstance(info, dict) or not isinstance(info.get("deviceid"), str):
            raise ill_typed("deviceInfoList")
        device = call.cloud.state.devices.get(info["deviceid"])
        if device is None or not device.visible_to(call.account.apikey):
            continue
        if device.ota_version and device.ota_version != info.get("version"):
            found.append(ota_info(call, device))
    return {"otaInfoList": found}


def ota_info(call: Call, device: Device) -> dict[str, Any]:
    version = device.ota_version or ""
    url = f"{call.cloud.base_url}/_firmware/{device.product_model}-{version}.bin"
    digest = device_digest(device.deviceid, version)
    return {
        "deviceid": device.deviceid,
        "version": version,
        "type": "",
        "forceTime": "",
        "model": device.product_model,
        "binList": [{"name": "user1.bin", "downloadUrl": url, "digest": digest}],
    }
