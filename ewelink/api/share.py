"""Sharing devices with other accounts of the same region."""

from __future__ import annotations

from collections.abc import Sequence

from ewelink.api.base import ApiBase
from ewelink.limits import check_count, check_range
from ewelink.models import JsonDict, Thing, things_from

PERMIT_CREATE_TIMER = 1
PERMIT_EDIT_TIMER = 2
PERMIT_DELETE_TIMER = 4
PERMIT_ENABLE_TIMER = 8
PERMIT_ALL = 15


class ShareApi(ApiBase):
    """Share, change permissions, unshare."""

    async def share_devices(
        self,
        deviceids: Sequence[str],
        *,
        permit: int,
        email: str | None = None,
        phone_number: str | None = None,
        country_code: str | None = None,
        comment: str | None = None,
        share_type: int | None = None,
    ) -> list[Thing]:
        """Share devices with a user named by email or phone (phone needs a country code)."""
        check_count("deviceids", deviceids, 1, 10_000)
        check_range("permit", permit, 0, PERMIT_ALL)
        user: JsonDict = {}
        if phone_number:
            if not country_code:
                raise ValueError("country_code is required with phone_number")
            user = {"phoneNumber": phone_number, "countryCode": country_code}
        elif email:
            user = {"email": email}
        else:
            raise ValueError("either email or phone_number is required")
        body: JsonDict = {"deviceidList": list(deviceids), "user": user, "permit": permit}
        if comment is not None:
            body["comment"] = comment
        if share_type is not None:
            body["shareType"] = share_type
        data = await self.http.call("POST", "/v2/device/share", body=body)
        return things_from(data, "updatedThingList")

    async def set_share_permit(self, deviceid: str, apikey: str, permit: int) -> list[Thing]:
        """Change what a user the device is shared with may do with its timers."""
        check_range("permit", permit, 0, PERMIT_ALL)
        body = {"deviceid": deviceid, "apikey": apikey, "permit": permit}
        data = await self.http.call("POST", "/v2/device/share/permit", body=body, idempotent=True)
        return things_from(data, "updatedThingList")

    async def cancel_share(self, deviceid: str, apikey: str) -> list[Thing]:
        """Stop sharing a device with the user ``apikey``."""
        params = {"deviceid": deviceid, "apikey": apikey}
        data = await self.http.call("DELETE", "/v2/device/share", params=params)
        return things_from(data, "updatedThingList")
