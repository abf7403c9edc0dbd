"""Sharing devices with other accounts of the same region, with timer `permit` bits."""

from __future__ import annotations

from typing import Any

from cloudsim.responses import NOT_FOUND, PARAMS, SHARE_NO_USER, ApiError, ill_typed
from cloudsim.sharing import share_device, unshare_device
from cloudsim.things import device_item

from .base import Call, endpoint

PERMIT_MAX = 15  # 1 create, 2 edit, 4 delete, 8 enable timers


def permit_of(call: Call) -> int:
    return call.integer("permit", lo=0, hi=PERMIT_MAX)


@endpoint("POST", "/v2/device/share")
async def share(call: Call) -> dict[str, Any]:
    deviceids = call.array("deviceidList", lo=1, hi=30)
    user = call.obj("user")
    permit = permit_of(call)
    comment = call.string("comment", required=False, default="")
    if call.integer("shareType", default=1) != 1:
        raise ApiError(PARAMS, "params error: shareType")
    email, phone = user.get("email"), user.get("phoneNumber")
    if not isinstance(email or phone, str):
        raise ill_typed("user")
    target = call.cloud.state.find_account(email, phone)
    # Sharing only works within one region (DOCS FAQ): others are "user does not exist".
    if target is None or target.region != call.region or target is call.account:
        raise ApiError(SHARE_NO_USER, "the shared user does not exist")
    updated = []
    for deviceid in deviceids:
        if not isinstance(deviceid, str):
            raise ill_typed("deviceidList")
        device = call.device(deviceid, owner_only=True)
        share_device(call.cloud.state, device, target, permit, comment)
        updated.append(device_item(call.cloud.state, device, call.account.apikey))
    return {"updatedThingList": updated}


@endpoint("POST", "/v2/device/share/permit")
async def change_permit(call: Call) -> dict[str, Any]:
    device = call.device(call.string("deviceid"), owner_only=True)
    apikey = call.string("apikey")
    permit = permit_of(call)
    if apikey not in device.shares:
        raise ApiError(NOT_FOUND, "share not found")
    device.shares[apikey].permit = permit
    call.cloud.state.dirty = True
    return {"updatedThingList": [device_item(call.cloud.state, device, call.account.apikey)]}


@endpoint("DELETE", "/v2/device/share")
async def cancel_share(call: Call) -> dict[str, Any]:
    device = call.device(call.string("deviceid"), owner_only=True)
    apikey = call.string("apikey")
    if apikey not in device.shares:
        raise ApiError(NOT_FOUND, "share not found")
    unshare_device(call.cloud.state, device, apikey)
    return {"updatedThingList": [device_item(call.cloud.state, device, call.account.apikey)]}
