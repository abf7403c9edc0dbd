"""[Homes and rooms]: homes, rooms, ordering and moving things between rooms."""

from __future__ import annotations

from typing import Any

from cloudsim.accounts import add_family, add_room, family_json
from cloudsim.responses import DENIED, LAST_HOME, NOT_FOUND, PARAMS, ApiError, ill_typed
from cloudsim.state import Device, Family, Group, Room, SimState

from .base import Call, endpoint


def sort_smaller(call: Call) -> bool:
    sort = call.integer("sort")
    if sort not in (1, 2):
        raise ApiError(PARAMS, "params error: sort")
    return sort == 1


def own_room(call: Call, roomid: str) -> tuple[Family, Room]:
    family = call.cloud.state.room_family(roomid)
    if family is None:
        raise ApiError(NOT_FOUND, "room not found")
    if family.owner != call.account.apikey:
        raise ApiError(DENIED, "access denied")
    return family, next(r for r in family.rooms if r.id == roomid)


def things_everywhere(state: SimState) -> list[Device | Group]:
    return [*state.devices.values(), *state.groups.values()]


@endpoint("GET", "/v2/family")
async def family_list(call: Call) -> dict[str, Any]:
    families = call.cloud.state.families_of(call.account.apikey)
    return {
        "familyList": [family_json(f) for f in families],
        "currentFamilyId": call.account.current_family,
    }


@endpoint("POST", "/v2/family")
async def create_family(call: Call) -> dict[str, Any]:
    name, smaller = call.string("name"), sort_smaller(call)
    rooms = call.array("roomNameList", hi=100, required=False)
    if not all(isinstance(r, str) and r for r in rooms):
        raise ill_typed("roomNameList")
    return family_json(add_family(call.cloud.state, call.account, name, rooms, smaller))


@endpoint("POST", "/v2/family/room")
async def create_room(call: Call) -> dict[str, Any]:
    family = call.family(call.string("familyid"))
    name, smaller = call.string("name"), sort_smaller(call)
    room = add_room(call.cloud.state, family, name, smaller)
    return {"id": room.id, "name": room.name, "index": room.index}


@endpoint("PUT", "/v2/family")
async def rename_family(call: Call) -> dict[str, Any]:
    family = call.family(call.string("id", required=False))
    family.name = call.string("name")
    call.cloud.state.dirty = True
    return {}


@endpoint("PUT", "/v2/family/room")
async def rename_room(call: Call) -> dict[str, Any]:
    _, room = own_room(call, call.string("id"))
    room.name = call.string("name")
    call.cloud.state.dirty = True
    return {}


@endpoint("POST", "/v2/family/room/index")
async def sort_rooms(call: Call) -> dict[str, Any]:
    family = call.family(call.string("familyid", required=False))
    ids = call.array("idList", lo=1)
    if sorted(map(str, ids)) != sorted(r.id for r in family.rooms):
        raise ApiError(PARAMS, "idList must list every room of the home")
    position = {roomid: i for i, roomid in enumerate(ids)}
    for room in family.rooms:
        room.index = position[room.id]
    family.rooms.sort(key=lambda r: r.index)
    call.cloud.state.dirty = True
    return {}


@endpoint("DELETE", "/v2/family")
async def delete_family(call: Call) -> dict[str, Any]:
    family = call.family(call.string("id"))
    target = call.family(call.string("deviceFamily"))
    switch_to = call.family(call.string("switchFamily"))
    state = call.cloud.state
    if len(state.families_of(call.account.apikey)) <= 1:
        raise ApiError(LAST_HOME, "the only home cannot be deleted")
    if family.id in (target.id, switch_to.id):
        raise ApiError(PARAMS, "cannot move things to the home being deleted")
    for thing in things_everywhere(state):
        if thing.familyid == family.id:
            thing.familyid, thing.roomid = target.id, ""
    for device in state.devices.values():
        share = device.shares.get(call.account.apikey)
        if share is not None and share.familyid == family.id:
            share.familyid = target.id
    del state.families[family.id]
    call.account.current_family = switch_to.id
    state.dirty = True
    return {}


@endpoint("DELETE", "/v2/family/room")
async def delete_room(call: Call) -> dict[str, Any]:
    family, room = own_room(call, call.string("id"))
    family.rooms.remove(room)
    for thing in things_everywhere(call.cloud.state):
        if thing.roomid == room.id:
            thing.roomid = ""
    call.cloud.state.dirty = True
    return {}


def things_of(call: Call, name: str, required: bool = True, lo: int = 0) -> list[Any]:
    """Resolve `[{itemType, id}]` to this account's devices and groups."""
    state, me = call.cloud.state, call.account.apikey
    resolved = []
    for entry in call.array(name, lo=lo, required=required):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ill_typed(name)
        thing = (state.groups if entry.get("itemType") == 3 else state.devices).get(entry["id"])
        owner = getattr(thing, "owner", None)
        if thing is None or owner != me:
            raise ApiError(NOT_FOUND, f"thing {entry['id']} not found")
        resolved.append(thing)
    return resolved


@endpoint("POST", "/v2/family/thing/sort")
async def sort_things(call: Call) -> dict[str, Any]:
    family = call.family(call.string("familyid", required=False))
    for position, thing in enumerate(things_of(call, "thingList", lo=1)):
        if thing.familyid != family.id:
            raise ApiError(PARAMS, "thing is not in this home")
        thing.index = position
    call.cloud.state.dirty = True
    return {}


@endpoint("POST", "/v2/family/room/thing")
async def move_things(call: Call) -> dict[str, Any]:
    family, room = own_room(call, call.string("roomid"))
    old = things_of(call, "oldThingList")
    new = things_of(call, "newThingList")
    if any(thing.roomid != room.id for thing in old):
        raise ApiError(PARAMS, "oldThingList holds a thing that is not in this room")
    for thing in old:
        if thing not in new:
            thing.roomid = ""
    for thing in new:
        if thing.familyid != family.id:
            raise ApiError(PARAMS, "thing is not in this home")
        thing.roomid = room.id
    call.cloud.state.dirty = True
    return {}


@endpoint("POST", "/v2/family/current")
async def switch_family(call: Call) -> dict[str, Any]:
    call.account.current_family = call.family(call.string("id")).id
    call.cloud.state.dirty = True
    return {}
