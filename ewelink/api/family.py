"""Homes ("families") and rooms."""

from __future__ import annotations

from collections.abc import Sequence

from ewelink.api.base import ApiBase
from ewelink.limits import MAX_ROOMS_PER_HOME, check_count, check_not_empty
from ewelink.models import Home, Homes, JsonDict, Room, ThingRef


class HomeApi(ApiBase):
    """List, create, rename, sort and delete homes and rooms; move things between rooms."""

    async def get_homes(self, lang: str | None = None) -> Homes:
        """All homes with their rooms and the current home id."""
        params = {"lang": lang} if lang else None
        return Homes.from_raw(await self.http.call("GET", "/v2/family", params=params))

    async def add_home(
        self, name: str, *, sort: int = 1, room_names: Sequence[str] | None = None
    ) -> Home:
        """Create a home, optionally with rooms in the given order."""
        check_not_empty("name", name)
        body: JsonDict = {"name": name, "sort": sort}
        if room_names is not None:
            check_count("room_names", room_names, 0, MAX_ROOMS_PER_HOME)
            body["roomNameList"] = list(room_names)
        return Home.from_raw(await self.http.call("POST", "/v2/family", body=body))

    async def add_room(self, familyid: str, name: str, *, sort: int = 1) -> Room:
        """Add a room (at most 100 per home)."""
        check_not_empty("name", name)
        body = {"familyid": familyid, "name": name, "sort": sort}
        return Room.from_raw(await self.http.call("POST", "/v2/family/room", body=body))

    async def rename_home(self, name: str, familyid: str | None = None) -> None:
        """Rename a home (the current one when familyid is None)."""
        body: JsonDict = {"name": name}
        if familyid is not None:
            body["id"] = familyid
        await self.http.call("PUT", "/v2/family", body=body, idempotent=True)

    async def rename_room(self, roomid: str, name: str) -> None:
        """Rename a room."""
        body = {"id": roomid, "name": name}
        await self.http.call("PUT", "/v2/family/room", body=body, idempotent=True)

    async def sort_rooms(self, room_ids: Sequence[str], familyid: str | None = None) -> None:
        """Order every room of a home (all ids must be passed)."""
        body: JsonDict = {"idList": list(room_ids)}
        if familyid is not None:
            body["familyid"] = familyid
        await self.http.call("POST", "/v2/family/room/index", body=body, idempotent=True)

    async def delete_home(self, familyid: str, *, move_things_to: str, switch_to: str) -> None:
        """Delete a home, moving its things to another home and switching to one."""
        params = {"id": familyid, "deviceFamily": move_things_to, "switchFamily": switch_to}
        await self.http.call("DELETE", "/v2/family", params=params)

    async def delete_room(self, roomid: str) -> None:
        """Delete a room."""
        await self.http.call("DELETE", "/v2/family/room", params={"id": roomid})

    async def sort_things(self, things: Sequence[ThingRef], familyid: str | None = None) -> None:
        """Order every device and group of a home (all must be passed)."""
        body: JsonDict = {"thingList": [thing.to_wire() for thing in things]}
        if familyid is not None:
            body["familyid"] = familyid
        await self.http.call("POST", "/v2/family/thing/sort", body=body, idempotent=True)

    async def move_things(
        self, roomid: str, old: Sequence[ThingRef], new: Sequence[ThingRef]
    ) -> None:
        """Set the things of a room: the server diffs ``old`` against ``new``."""
        body = {
            "roomid": roomid,
            "oldThingList": [thing.to_wire() for thing in old],
            "newThingList": [thing.to_wire() for thing in new],
        }
        await self.http.call("POST", "/v2/family/room/thing", body=body)

    async def switch_home(self, familyid: str) -> None:
        """Make a home the current one."""
        await self.http.call("POST", "/v2/family/current", body={"id": familyid}, idempotent=True)
