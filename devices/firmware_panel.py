"""The firmware panel of a thing's page: what it runs, what is offered, the upgrade's state."""

from __future__ import annotations

from typing import Any

from accounts.models import JobKind, TaskRun
from dashboard.when import in_words
from devices.firmware_upgrade import latest_offer
from devices.models import FirmwareUpgrade, Thing, ThingAction, ThingKind, UpgradeState
from devices.plugins.base import DevicePlugin


def firmware(thing: Thing, plugin: DevicePlugin, viewer: Any) -> dict[str, Any]:
    if thing.kind != ThingKind.DEVICE:
        return {"is_device": False}
    upgrade = FirmwareUpgrade.objects.filter(thing=thing).first()  # the latest
    offer = latest_offer(thing)
    in_progress = upgrade is not None and upgrade.state == UpgradeState.PENDING
    return {
        "is_device": True,
        "offer": offer,
        "upgrade": upgrade,
        "in_progress": in_progress,
        "last_check": _last_check(thing),
        "may_check": viewer.may_manage and bool(thing.model and thing.fw_version),
        "may_upgrade": viewer.may_manage and offer is not None and not in_progress,
    }


def _last_check(thing: Thing) -> str:
    """When the cloud was last asked about this device: the periodic job or "Check now"."""
    times = [
        TaskRun.objects.filter(account_id=thing.account_id, task=JobKind.CHECK_FIRMWARE)
        .values_list("last_ok_at", flat=True)
        .first(),
        ThingAction.objects.filter(thing=thing, action="ota_check", result="ok")
        .values_list("created_at", flat=True)
        .first(),
    ]
    known = [t for t in times if t is not None]
    return in_words(max(known)) if known else "never"
