"""Device groups (thing list itemType 3, UIID 5000 style)."""

from __future__ import annotations

from typing import Any

from cloudsim.responses import PARAMS, ApiError, ill_typed
from cloudsim.state import Group
from cloudsim.things import device_item, group_item

from .base import Call, endpoint
from .devices import own_group, place


def updated_things(call: Call, deviceids: list[str]) -> list[dict[str, Any]]:
    state, me = call.cloud.state, call.account.apikey
    return [device_item(state, state.devices[d], me) for d in deviceids if d in state.devices]


def same_uiid(call: Call, main_uiid: int, deviceids: list[Any]) -> list[str]:
    """Devices whose UIID differs from the main device's are left out (API document)."""
    chosen = []
    for deviceid in deviceids:
        if not isinstance(deviceid, str):
            raise ill_typed("deviceidList")
        device = call.device(deviceid)
        if device.uiid == main_uiid and deviceid not in chosen:
            chosen.append(deviceid)
    return chosen


@endpoint("GET", "/v2/device/group")
async def group_list(call: Call) -> dict[str, Any]:
    current = call.account.current_family
    groups = [
        g
        for g in call.cloud.state.groups.values()
        if g.owner == call.account.apikey and g.familyid == current
    ]
    return {"groupList": [group_item(g) for g in sorted(groups, key=lambda g: g.index)]}


@endpoint("POST", "/v2/device/group")
async def add_group(call: Call) -> dict[str, Any]:
    name = call.string("name")
    main = call.device(call.string("mainDeviceId"))
    familyid, roomid = place(call)
    sort = call.integer("sort", default=1)
    members = same_uiid(call, main.uiid, call.array("deviceidList", hi=30, required=False))
    state = call.cloud.state
    group = Group(
        state.hex_id(24),
        name,
        call.account.apikey,
        main.deviceid,
        main.uiid,
        familyid,
        roomid,
        state.next_index(familyid, smaller=sort != 2),
        params=dict(main.params),
    )
    group.deviceids = [main.deviceid, *[d for d in members if d != main.deviceid]]
    state.groups[group.id] = group
    state.dirty = True
    return group_item(group) | {"updatedThingList": updated_things(call, group.deviceids)}


@endpoint("PUT", "/v2/device/group")
async def rename_group(call: Call) -> dict[str, Any]:
    group = own_group(call, call.string("id"))
    group.name = call.string("name")
    call.cloud.state.dirty = True
    return {}


@endpoint("DELETE", "/v2/device/group")
async def delete_group(call: Call) -> dict[str, Any]:
    group = own_group(call, call.string("id"))
    del call.cloud.state.groups[group.id]
    call.cloud.state.dirty = True
    return {}


@endpoint("POST", "/v2/device/group/status")
async def group_status(call: Call) -> dict[str, Any]:
    group = own_group(call, call.string("id"))
    group.params.update(call.obj("params"))  # saved only, not sent (API document)
    call.cloud.state.dirty = True
    return {}


def member_list(call: Call) -> tuple[Group, list[Any]]:
    group = own_group(call, call.string("id"))
    return group, call.array("deviceidList", lo=1, hi=30)


@endpoint("POST", "/v2/device/group/add")
async def group_add(call: Call) -> dict[str, Any]:
    group, wanted = member_list(call)
    added = [d for d in same_uiid(call, group.uiid, wanted) if d not in group.deviceids]
    group.deviceids += added
    call.cloud.state.dirty = True
    return {"updatedThingList": updated_things(call, added)}


@endpoint("POST", "/v2/device/group/delete")
async def group_delete(call: Call) -> dict[str, Any]:
    group, wanted = member_list(call)
    if group.main_deviceid in wanted:
        raise ApiError(PARAMS, "the main device cannot leave its group")
    removed = [d for d in wanted if d in group.deviceids]
    group.deviceids = [d for d in group.deviceids if d not in removed]
    call.cloud.state.dirty = True
    return {"updatedThingList": updated_things(call, removed)}


@endpoint("POST", "/v2/device/group/update")
async def group_update(call: Call) -> dict[str, Any]:
    group = own_group(call, call.string("id"))
    wanted = call.array("deviceidList", lo=1, hi=30)
    if group.main_deviceid not in wanted:
        raise ApiError(PARAMS, "deviceidList must contain the main device")
    before = set(group.deviceids)
    group.deviceids = same_uiid(call, group.uiid, wanted)
    call.cloud.state.dirty = True
    return {"updatedThingList": updated_things(call, sorted(before | set(group.deviceids)))}
