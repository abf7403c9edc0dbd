"""Operating history, the message centre and OTA firmware information."""

from __future__ import annotations

from collections.abc import Sequence

from ewelink.api.base import ApiBase
from ewelink.limits import MAX_OTA_DEVICES, MAX_PAGE, check_count, check_range
from ewelink.models import DeviceFirmware, HistoryEntry, Message, OtaInfo


class HistoryApi(ApiBase):
    """Pages of history and messages (see ``paging`` for iterators), OTA queries."""

    async def get_history(
        self, deviceid: str, *, from_ms: int | None = None, num: int = MAX_PAGE
    ) -> list[HistoryEntry]:
        """Up to ``num`` (1-30) history entries older than ``from_ms`` (default now)."""
        check_range("num", num, 1, MAX_PAGE)
        params = {"deviceid": deviceid, "from": from_ms, "num": num}
        data = await self.http.call("GET", "/v2/device/history", params=params)
        items = data.get("histories") or []
        return [HistoryEntry.from_raw(item) for item in items if isinstance(item, dict)]

    async def clear_history(self, deviceid: str) -> None:
        """Delete a device's operating history."""
        await self.http.call("DELETE", "/v2/device/history", params={"deviceid": deviceid})

    async def get_messages(
        self, *, familyid: str | None = None, from_ms: int | None = None, num: int = MAX_PAGE
    ) -> list[Message]:
        """Up to ``num`` (1-30) messages of a home older than ``from_ms``."""
        check_range("num", num, 1, MAX_PAGE)
        params = {"familyid": familyid, "from": from_ms, "num": num}
        data = await self.http.call("GET", "/v2/message/read", params=params)
        items = data.get("messageList") or []
        return [Message.from_raw(item) for item in items if isinstance(item, dict)]

    async def get_ota_info(self, devices: Sequence[DeviceFirmware]) -> list[OtaInfo]:
        """Newer firmware for 1-30 devices (empty when all are current)."""
        check_count("devices", devices, 1, MAX_OTA_DEVICES)
        body = {"deviceInfoList": [device.to_wire() for device in devices]}
        data = await self.http.call("POST", "/v2/device/ota/query", body=body, idempotent=True)
        items = data.get("otaInfoList") or []
        return [OtaInfo.from_raw(item) for item in items if isinstance(item, dict)]
