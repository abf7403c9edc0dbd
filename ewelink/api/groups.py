"""Device groups (``itemType`` 3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ewelink.api.base import ApiBase
from ewelink.limits import MAX_GROUP_DEVICES, check_count, check_not_empty
from ewelink.models import Group, GroupCreated, JsonDict, Thing, things_from


class GroupApi(ApiBase):
    """List, create, rename, delete and control groups; manage their members."""

    async def get_groups(self, lang: str | None = None) -> list[Group]:
        """Groups of the current home."""
        params = {"lang": lang} if lang else None
        data = await self.http.call("GET", "/v2/device/group", params=params)
        return [thing.group for thing in things_from(data, "groupList") if thing.group]

    async def add_group(
        self,
        *,
        name: str,
        main_device_id: str,
        deviceids: Sequence[str] = (),
        familyid: str | None = None,
        roomid: str | None = None,
        sort: int | None = None,
    ) -> GroupCreated:
        """Create a group around a main device (other members must share its UIID)."""
        check_not_empty("name", name)
        check_count("deviceids", deviceids, 0, MAX_GROUP_DEVICES)
        body: JsonDict = {"name": name, "mainDeviceId": main_device_id}
        optional = {"familyid": familyid, "roomid": roomid, "sort": sort}
        body |= {key: value for key, value in optional.items() if value is not None}
        if deviceids:
            body["deviceidList"] = list(deviceids)
        data = await self.http.call("POST", "/v2/device/group", body=body)
        return GroupCreated(Thing.from_raw(data), things_from(data, "updatedThingList"), data)

    async def rename_group(self, group_id: str, name: str) -> None:
        """Rename a group."""
        body = {"id": group_id, "name": name}
        await self.http.call("PUT", "/v2/device/group", body=body, idempotent=True)

    async def delete_group(self, group_id: str) -> None:
        """Delete a group (its devices stay)."""
        await self.http.call("DELETE", "/v2/device/group", params={"id": group_id})

    async def set_group_status(self, group_id: str, params: Mapping[str, Any]) -> None:
        """Store group params (the server only saves them; use set_status type 2 to control)."""
        body = {"id": group_id, "params": dict(params)}
        await self.http.call("POST", "/v2/device/group/status", body=body, idempotent=True)

    async def add_to_group(self, group_id: str, deviceids: Sequence[str]) -> list[Thing]:
        """Add 1-30 devices to a group."""
        return await self._members("/v2/device/group/add", group_id, deviceids)

    async def remove_from_group(self, group_id: str, deviceids: Sequence[str]) -> list[Thing]:
        """Remove 1-30 devices from a group."""
        return await self._members("/v2/device/group/delete", group_id, deviceids)

    async def set_group_devices(self, group_id: str, deviceids: Sequence[str]) -> list[Thing]:
        """Replace a group's members; the list must include the main device."""
        return await self._members("/v2/device/group/update", group_id, deviceids)

    async def _members(self, path: str, group_id: str, deviceids: Sequence[str]) -> list[Thing]:
        check_count("deviceids", deviceids, 1, MAX_GROUP_DEVICES)
        body = {"id": group_id, "deviceidList": list(deviceids)}
        data = await self.http.call("POST", path, body=body)
        return things_from(data, "updatedThingList")
