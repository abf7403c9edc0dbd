"""Share bookkeeping used by the REST API and the control API, with its messages."""

from __future__ import annotations

from .state import Account, Device, Share, SimState


def share_device(
    state: SimState, device: Device, target: Account, permit: int, comment: str = ""
) -> Share:
    """Place the device in the recipient's current home and tell both sides."""
    indexes = [d.index for d in state.devices_visible_to(target.apikey)]
    share = Share(
        target.apikey,
        permit,
        comment,
        familyid=target.current_family,
        index=(max(indexes) + 1) if indexes else 0,
    )
    device.shares[target.apikey] = share
    owner = state.accounts.get(device.owner or "")
    body = {
        "deviceid": device.deviceid,
        "deviceName": device.name,
        "permit": permit,
        "fromApikey": device.owner,
        "fromName": owner.login_name if owner else "",
    }
    state.add_message(target.apikey, target.current_family, "shareNotify_v2", body)
    state.dirty = True
    return share


def unshare_device(state: SimState, device: Device, apikey: str) -> None:
    share = device.shares.pop(apikey, None)
    if share is None:
        return
    body = {"deviceid": device.deviceid, "deviceName": device.name, "fromApikey": device.owner}
    state.add_message(apikey, share.familyid, "cancelShareNotify_v2", body)
    for group in list(state.groups.values()):
        # A group built on a device shared by others dies with the share (API document).
        if group.owner == apikey and group.main_deviceid == device.deviceid:
            del state.groups[group.id]
    state.dirty = True
