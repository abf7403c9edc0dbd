"""How devices and groups look on the wire: thing-list items for a given viewer."""

from __future__ import annotations

from typing import Any

from .state import Account, Device, Group, SimState
from .uiids import model_for
from .uiids.registry import ZIGBEE_BRIDGES

GROUP_UIID = 5000  # how clients recognise a group item (notes §3.2)
BRAND_LOGO = "https://example.invalid/brand/sonoff.png"


def person(account: Account | None, apikey: str) -> dict[str, Any]:
    out: dict[str, Any] = {"apikey": apikey}
    if account is not None:
        out |= {"nickname": account.nickname}
        if account.email:
            out["email"] = account.email
        if account.phone:
            out["phoneNumber"] = account.phone
    return out


def device_data(state: SimState, device: Device, viewer: str) -> dict[str, Any]:
    """`itemData` of a device (API document "Get the list of all devices")."""
    share = device.shares.get(viewer)
    family = {"familyid": device.familyid, "index": device.index, "roomid": device.roomid}
    if share is not None:
        family = {"familyid": share.familyid, "index": share.index, "roomid": ""}
    data: dict[str, Any] = {
        "name": device.name,
        "deviceid": device.deviceid,
        "apikey": device.owner,
        "extra": extra(device),
        "brandName": device.brand_name,
        "brandLogo": BRAND_LOGO,
        "showBrand": True,
        "productModel": device.product_model,
        "devGroups": [{"type": 1, "groupId": g.id} for g in groups_of(state, device)],
        "tags": device.tags,
        "devConfig": dev_config(device),
        "settings": device.settings,
        "family": family,
        "devicekey": device.devicekey,
        "online": device.online,
        "params": device.params,
    }
    if share is not None:
        owner = state.accounts.get(device.owner or "")
        data["sharedBy"] = person(owner, device.owner or "") | {
            "permit": share.permit,
            "comment": share.comment,
            "shareTime": share.share_time,
        }
    elif device.shares:
        data["shareTo"] = [
            person(state.accounts.get(s.apikey), s.apikey)
            | {"permit": s.permit, "comment": s.comment, "shareTime": s.share_time}
            for s in device.shares.values()
        ]
    return data


def extra(device: Device) -> dict[str, Any]:
    return {
        "uiid": device.uiid,
        "model": device.product_model,
        "manufacturer": device.brand_name,
        "description": model_for(device.uiid).name,
        "brandId": "sim-brand",
        "mac": device.deviceid[-6:],
        "chipid": device.deviceid,
        "ui": model_for(device.uiid).name,
    }


def dev_config(device: Device) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if device.uiid in (102, 154):
        config["lowVolAlarm"] = "2.3"
    if device.uiid in ZIGBEE_BRIDGES:
        config["subDevMaxNum"] = 32
    return config


def groups_of(state: SimState, device: Device) -> list[Group]:
    return [g for g in state.groups.values() if device.deviceid in g.deviceids]


def device_item(state: SimState, device: Device, viewer: str) -> dict[str, Any]:
    item_type = 1 if device.owner == viewer else 2
    data = device_data(state, device, viewer)
    return {"itemType": item_type, "itemData": data, "index": data["family"]["index"]}


def group_data(group: Group) -> dict[str, Any]:
    """Group itemData: note there is no `deviceid` (notes §3.2, UIID 5000)."""
    return {
        "id": group.id,
        "name": group.name,
        "mainDeviceId": group.main_deviceid,
        "family": {"familyid": group.familyid, "index": group.index, "roomid": group.roomid},
        "params": group.params,
        "extra": {"uiid": GROUP_UIID},
        "deviceidList": list(group.deviceids),
    }


def group_item(group: Group) -> dict[str, Any]:
    return {"itemType": 3, "itemData": group_data(group), "index": group.index}


def family_things(state: SimState, viewer: str, familyid: str) -> list[dict[str, Any]]:
    """Every thing of one home as the viewer sees it, sorted by index."""
    items = []
    for device in state.devices_visible_to(viewer):
        share = device.shares.get(viewer)
        home = share.familyid if share is not None else device.familyid
        if home == familyid:
            items.append(device_item(state, device, viewer))
    items += [
        group_item(g) for g in state.groups.values() if g.owner == viewer and g.familyid == familyid
    ]
    items.sort(key=lambda item: item["index"])
    return items


def page(items: list[dict[str, Any]], num: int, begin_index: int) -> list[dict[str, Any]]:
    """`num` 0 = all; `beginIndex` skips things with a smaller index."""
    chosen = [item for item in items if item["index"] >= begin_index]
    return chosen if num == 0 else chosen[:num]
