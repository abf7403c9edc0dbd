"""Creating simulated devices and groups (control API and demo), and their control JSON."""

from __future__ import annotations

from typing import Any

from .state import Device, Group, SimState
from .uiids import CATALOGUE, model_for, product_model


def create_device(state: SimState, spec: dict[str, Any]) -> Device:
    """A device from a control-API spec; no owner = a factory device waiting to be added."""
    owner = spec.get("owner")
    if owner is not None and owner not in state.accounts:
        raise ValueError("owner is not a known apikey")
    uiid = _int(spec.get("uiid"), "uiid")
    deviceid = spec.get("deviceid") or state.new_deviceid()
    if not isinstance(deviceid, str) or deviceid in state.devices:
        raise ValueError("deviceid must be a new string")
    params = model_for(uiid).defaults()
    extra_params = spec.get("params") or {}
    if not isinstance(extra_params, dict):
        raise ValueError("params must be an object")
    model_for(uiid).merge(params, extra_params)
    device = Device(
        deviceid=deviceid,
        uiid=uiid,
        name=str(spec.get("name") or f"Device {uiid}"),
        owner=None,
        devicekey=state.uuid_like(),
        params=params,
        online=bool(spec.get("online", True)),
        brand_name=str(spec.get("brandName") or "SONOFF"),
        product_model=str(spec.get("productModel") or product_model(uiid)),
        fw_version=str(spec.get("fwVersion") or "3.7.0"),
    )
    device.params.setdefault("fwVersion", device.fw_version)
    place(state, device, owner, spec)
    link_parent(state, device, spec.get("parentid"))
    ota = spec.get("ota")
    if isinstance(ota, dict) and isinstance(ota.get("version"), str):
        device.ota_version = ota["version"]
    device.gsm_id = spec.get("gsmId")
    return state.add_device(device)


def place(state: SimState, device: Device, owner: str | None, spec: dict[str, Any]) -> None:
    if owner is None:
        return
    familyid = spec.get("familyid") or state.accounts[owner].current_family
    family = state.families.get(familyid)
    if family is None or family.owner != owner:
        raise ValueError("familyid is not a home of the owner")
    roomid = spec.get("roomid") or ""
    if roomid and all(r.id != roomid for r in family.rooms):
        raise ValueError("roomid is not a room of that home")
    device.familyid, device.roomid = family.id, roomid
    device.index = state.next_index(family.id, smaller=False)
    device.owner = owner


def link_parent(state: SimState, device: Device, parentid: Any) -> None:
    if not parentid:
        return
    parent = state.devices.get(parentid)
    if parent is None:
        raise ValueError("parentid is not a known device")
    device.parentid = parent.deviceid
    device.params["parentid"] = parent.deviceid
    device.online = device.online and parent.online


def create_group(state: SimState, owner: str, name: str, deviceids: list[str]) -> Group:
    main = state.devices[deviceids[0]]
    group = Group(
        state.hex_id(24),
        name,
        owner,
        main.deviceid,
        main.uiid,
        main.familyid,
        index=state.next_index(main.familyid, smaller=False),
        params=dict(main.params),
        deviceids=list(deviceids),
    )
    state.groups[group.id] = group
    state.dirty = True
    return group


def factory_json(device: Device) -> dict[str, Any]:
    """What the box of an unowned device tells its buyer: the id, the API key printed on it
    (for `/v2/device/add`), and the GSM id of its QR code (for `/v2/device/add-gsm`)."""
    return {
        "deviceid": device.deviceid,
        "devicekey": device.devicekey,
        "uiid": device.uiid,
        "model": device.product_model,
        "kind": model_for(device.uiid).name,
        "name": device.name,
        "brandName": device.brand_name,
        "gsmId": device.gsm_id,
    }


def device_json(device: Device) -> dict[str, Any]:
    """The control API's view of a device (more than the cloud shows)."""
    return {
        "deviceid": device.deviceid,
        "uiid": device.uiid,
        "name": device.name,
        "params": device.params,
        "online": device.online,
        "owner": device.owner,
        "shared_with": [{"apikey": s.apikey, "permit": s.permit} for s in device.shares.values()],
        "familyid": device.familyid,
        "roomid": device.roomid,
        "index": device.index,
        "fwVersion": device.fw_version,
        "parentid": device.parentid,
        "ota_version": device.ota_version,
        "ota_outcome": device.ota_outcome,
        "ota_hung": device.ota_hung,
        "unresponsive": device.unresponsive,
        "reply_delay_ms": device.reply_delay_ms,
        "devicekey": device.devicekey,
        "productModel": device.product_model,
        "brandName": device.brand_name,
        "tags": device.tags,
        "settings": device.settings,
        "model": model_for(device.uiid).name,
        "known_uiid": device.uiid in CATALOGUE,
    }


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer")
    return value
