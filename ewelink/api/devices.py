"""Devices and things: lists, status, control over REST, add/rename/delete, tags, settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ewelink.api.base import ApiBase
from ewelink.limits import (
    MAX_BATCH_THINGS,
    MAX_BATCH_TIMEOUT_MS,
    MAX_SPECIFIED_THINGS,
    check_count,
    check_range,
    check_unique,
)
from ewelink.models import (
    BatchResult,
    DispatchInfo,
    JsonDict,
    StatusUpdate,
    Thing,
    ThingPage,
    ThingRef,
    as_dict,
    things_from,
)

TYPE_DEVICE = 1
TYPE_GROUP = 2


def _placement(familyid: str | None, roomid: str | None, sort: int | None) -> JsonDict:
    values = {"familyid": familyid, "roomid": roomid, "sort": sort}
    return {key: value for key, value in values.items() if value is not None}


class DeviceApi(ApiBase):
    """Everything under ``/v2/device`` that is not groups, sharing, history or OTA."""

    async def get_things(
        self,
        *,
        familyid: str | None = None,
        num: int | None = None,
        begin_index: int | None = None,
        lang: str | None = None,
    ) -> ThingPage:
        """One page of the thing list of a home (``num=0`` = all; the cloud default is 30)."""
        if num is not None:
            check_range("num", num, 0, 10_000)
        params = {"familyid": familyid, "num": num, "beginIndex": begin_index, "lang": lang}
        data = await self.http.call("GET", "/v2/device/thing", params=params)
        return ThingPage.from_raw(data)

    async def get_specified_things(self, things: Sequence[ThingRef]) -> list[Thing]:
        """Fetch 1-10 named things."""
        check_count("things", things, 1, MAX_SPECIFIED_THINGS)
        body = {"thingList": [thing.to_wire() for thing in things]}
        data = await self.http.call("POST", "/v2/device/thing", body=body, idempotent=True)
        return things_from(data)

    async def get_status(
        self, thing_id: str, keys: Sequence[str] | None = None, *, type: int = TYPE_DEVICE
    ) -> JsonDict:
        """Current params of a device (or group), optionally only ``keys``."""
        params: dict[str, Any] = {"type": type, "id": thing_id}
        if keys:
            params["params"] = "|".join(keys)
        data = await self.http.call("GET", "/v2/device/thing/status", params=params)
        return as_dict(data.get("params", {}), "params")

    async def set_status(
        self, thing_id: str, params: Mapping[str, Any], *, type: int = TYPE_DEVICE
    ) -> None:
        """Control a device (or group) over REST; raises DeviceOfflineError when it fails."""
        body = {"type": type, "id": thing_id, "params": dict(params)}
        await self.http.call("POST", "/v2/device/thing/status", body=body)

    async def set_status_batch(
        self, updates: Sequence[StatusUpdate], *, timeout_ms: int = 0
    ) -> list[BatchResult]:
        """Control up to 10 things at once, waiting up to ``timeout_ms`` (≤ 8000) for replies."""
        check_count("updates", updates, 1, MAX_BATCH_THINGS)
        check_unique("updates", [update.id for update in updates])
        check_range("timeout_ms", timeout_ms, 0, MAX_BATCH_TIMEOUT_MS)
        body = {"thingList": [update.to_wire() for update in updates], "timeout": timeout_ms}
        data = await self.http.call("POST", "/v2/device/thing/batch-status", body=body)
        items = data.get("respList")
        return [BatchResult.from_raw(item) for item in items or [] if isinstance(item, dict)]

    async def add_device(
        self,
        *,
        name: str,
        deviceid: str,
        digest: str,
        settings: Mapping[str, Any] | None = None,
        ifr_code: str | None = None,
        chipid: str | None = None,
        familyid: str | None = None,
        roomid: str | None = None,
        sort: int | None = None,
    ) -> Thing:
        """Add a WiFi device; ``digest`` = ``signing.device_digest(deviceid, device_apikey)``."""
        body: JsonDict = {"name": name, "deviceid": deviceid, "digest": digest}
        extras = {"settings": settings, "ifrCode": ifr_code, "chipid": chipid}
        body |= {key: value for key, value in extras.items() if value is not None}
        body |= _placement(familyid, roomid, sort)
        return Thing.from_raw(await self.http.call("POST", "/v2/device/add", body=body))

    async def add_gsm_device(
        self,
        *,
        gsm_id: str,
        name: str,
        familyid: str | None = None,
        roomid: str | None = None,
        sort: int | None = None,
    ) -> list[Thing]:
        """Add a GSM device by the id from its QR code URL."""
        body: JsonDict = {"id": gsm_id, "name": name} | _placement(familyid, roomid, sort)
        data = await self.http.call("POST", "/v2/device/add-gsm", body=body)
        if "thingList" in data:
            return things_from(data)
        return [Thing.from_raw(data)]

    async def update_device_info(
        self, deviceid: str, *, name: str | None = None, roomid: str | None = None
    ) -> None:
        """Rename a device or move it to a room of its home."""
        body: JsonDict = {"deviceid": deviceid}
        if name is not None:
            body["name"] = name
        if roomid is not None:
            body["roomid"] = roomid
        await self.http.call("POST", "/v2/device/update-info", body=body, idempotent=True)

    async def delete_device(self, deviceid: str) -> None:
        """Delete an own device, or drop a device shared with me."""
        await self.http.call("DELETE", "/v2/device", params={"deviceid": deviceid})

    async def set_tags(
        self, deviceid: str, tags: Mapping[str, Any], *, merge: bool = False
    ) -> Thing | None:
        """Replace (or merge into) a device's tags; returns the updated thing when given."""
        body = {"deviceid": deviceid, "type": "merge" if merge else "replace", "tags": dict(tags)}
        data = await self.http.call("POST", "/v2/device/tags", body=body, idempotent=True)
        updated = data.get("updatedThing")
        return Thing.from_raw(updated) if isinstance(updated, dict) else None

    async def set_device_settings(self, deviceid: str, settings: Mapping[str, Any]) -> Thing | None:
        """Change user settings of a device (opsNotify, opsHistory, alarmNotify: 0/1)."""
        body = {"deviceid": deviceid, "settings": dict(settings)}
        data = await self.http.call("POST", "/v2/device/settings", body=body, idempotent=True)
        updated = data.get("updatedThing")
        return Thing.from_raw(updated) if isinstance(updated, dict) else None

    async def dispatch(self) -> DispatchInfo:
        """Ask where to open the websocket; call again before every reconnect."""
        url = self.http.endpoints.dispatch(self.http.region)
        data = await self.http.call("GET", "/dispatch/app", url=url, flat=True)
        return DispatchInfo.from_raw(data)
