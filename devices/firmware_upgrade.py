"""Firmware from a thing's page: check now, upgrade, and how an upgrade ends.

The API document's rule: the app sends the websocket `upgrade` action, says "upgrade in
progress" and remembers the original version; the device reboots and reports `fwVersion`;
newer than the original is success, anything else failure. A device that does not report
within `settings.OTA_UPGRADE_TIMEOUT_S` has failed too. The socket belongs to the realtime
worker holding the account, so the view passes in how to reach it (`Send`): devices does
not import realtime.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

import ewelink
from accounts import notifications
from accounts.models import Membership, NotificationKind, Role
from devices.firmware import mark_installed, record_offers
from devices.models import (
    FirmwareUpdate,
    FirmwareUpgrade,
    Thing,
    ThingAction,
    ThingKind,
    UpgradeState,
)
from devices.structure import StructureChange, announce
from devices.thing_actions import ActionFailed, perform, record
from devices.thing_settings import require

NOT_CONNECTED = "The account is not connected to the eWeLink cloud right now; try again."


@dataclass(frozen=True)
class UpgradeOrder:
    """What the worker holding the account sends on its socket."""

    account_id: int
    deviceid: str
    owner: str
    from_version: str
    params: dict[str, Any]  # {"model", "version", "binList"}: the document's upgrade params


# Sends the order to the account's worker; returns its status: ok, offline, timeout, error
# or not_connected (no worker holds the account, or its socket is down).
Send = Callable[[UpgradeOrder], Awaitable[str]]


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Orders versions part by part, numbers as numbers: "3.10.0" > "3.9.1"."""
    parts = re.findall(r"\d+|[A-Za-z]+", version or "")
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in parts)


def is_newer(reported: str, original: str) -> bool:
    return version_key(reported) > version_key(original)


def latest_offer(thing: Thing) -> FirmwareUpdate | None:
    """The newest version the cloud offers that is newer than what the device runs."""
    offers = [
        offer
        for offer in FirmwareUpdate.objects.filter(thing=thing, installed_at=None)
        if is_newer(offer.version, thing.fw_version)
    ]
    return max(offers, key=lambda o: version_key(o.version), default=None)


def upgrade_in_progress(thing: Thing) -> FirmwareUpgrade | None:
    return FirmwareUpgrade.objects.filter(thing=thing, state=UpgradeState.PENDING).first()


def _require_device(thing: Thing, what: str) -> None:
    if thing.kind != ThingKind.DEVICE:
        raise ActionFailed(f"{what} is for devices, not groups.")
    if not thing.model or not thing.fw_version:
        raise ActionFailed(
            "The device has not told the cloud its module model and firmware version yet."
        )


def check_now(actor: Membership, thing: Thing) -> FirmwareUpdate | None:
    """`/v2/device/ota/query` for this device; a new offer is stored and announced."""
    require(actor, Role.ADMIN, "Checking for firmware")
    _require_device(thing, "Checking for firmware")
    asked = ewelink.DeviceFirmware(thing.cloud_id, thing.model, thing.fw_version)

    async def call(client: Any) -> list[ewelink.OtaInfo]:
        return list(await client.get_ota_info([asked]))

    def apply(offers: list[ewelink.OtaInfo]) -> StructureChange:
        record_offers(thing.account, [thing], offers)
        mark_installed(thing.account)
        change = StructureChange()
        change.thing(thing)
        return change

    perform(actor, thing, "ota_check", call, apply)
    return latest_offer(thing)


def start_upgrade(actor: Membership, thing: Thing, version: str, send: Send) -> FirmwareUpgrade:
    """Send the `upgrade` action for the offered `version`; the page says "in progress"."""
    require(actor, Role.ADMIN, "Upgrading firmware")
    _require_device(thing, "Upgrading firmware")
    offer = latest_offer(thing)
    if offer is None or offer.version != version:
        raise ActionFailed("That firmware is not offered for this device any more; check again.")
    if upgrade_in_progress(thing) is not None:
        raise ActionFailed("An upgrade of this device is already in progress.")
    # Recorded before sending: the device may reboot and report before the worker replies.
    try:
        with transaction.atomic():
            action = record(actor, thing, "upgrade", "pending", "", {"to": version})
            upgrade = FirmwareUpgrade.objects.create(
                household_id=thing.household_id,
                thing=thing,
                user_id=actor.user_id,
                action=action,
                from_version=thing.fw_version,
                to_version=version,
            )
    except IntegrityError:
        raise ActionFailed("An upgrade of this device is already in progress.") from None
    order = UpgradeOrder(
        account_id=thing.account_id,
        deviceid=thing.cloud_id,
        owner=thing.owner_apikey,
        from_version=thing.fw_version,
        params={"model": thing.model, "version": version, "binList": offer.files},
    )
    status = async_to_sync(send)(order)
    # No answer in time may still be an upgrade under way (the document's devices may just
    # disconnect and download): the device's report or the timeout decides.
    if status not in ("ok", "timeout"):
        message = SEND_MESSAGES.get(status, f"The device refused the upgrade ({status}).")
        with transaction.atomic():
            ThingAction.objects.filter(pk=action.pk).update(result="failed", message=message)
            upgrade.delete()
        raise ActionFailed(message)
    with transaction.atomic():
        change = StructureChange()
        change.thing(thing)
        announce(thing.household_id, change)
    from devices.tasks import end_stalled_upgrade

    transaction.on_commit(
        lambda: end_stalled_upgrade.apply_async(
            (upgrade.pk,), countdown=settings.OTA_UPGRADE_TIMEOUT_S
        )
    )
    return upgrade


SEND_MESSAGES = {
    "not_connected": NOT_CONNECTED,
    "offline": "The device is offline, so it cannot be upgraded now.",
}


def timeout_words(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} seconds"


def finish_upgrade(thing_pk: int, reported: str) -> FirmwareUpgrade | None:
    """The device reported `reported` after its reboot: decide, record, tell everyone."""
    with scopes_disabled(), transaction.atomic():
        upgrade = (
            FirmwareUpgrade.objects.select_for_update()
            .select_related("thing")
            .filter(thing_id=thing_pk, state=UpgradeState.PENDING)
            .first()
        )
        if upgrade is None:
            return None
        thing = upgrade.thing
        Thing.objects.filter(pk=thing.pk).update(fw_version=reported[:50])
        thing.fw_version = reported[:50]
        if is_newer(reported, upgrade.from_version):
            FirmwareUpdate.objects.filter(thing=thing, version=reported).update(
                installed_at=timezone.now()
            )
            message = f"Upgraded from {upgrade.from_version} to {reported}."
            return _end(upgrade, UpgradeState.SUCCEEDED, message)
        message = (
            f"The upgrade to {upgrade.to_version} failed: the device came back with "
            f"{reported or 'no version'}."
        )
        return _end(upgrade, UpgradeState.FAILED, message)


def end_if_stalled(upgrade_pk: int) -> FirmwareUpgrade | None:
    """The timeout: an upgrade still in progress has failed."""
    with scopes_disabled(), transaction.atomic():
        upgrade = (
            FirmwareUpgrade.objects.select_for_update()
            .select_related("thing")
            .filter(pk=upgrade_pk, state=UpgradeState.PENDING)
            .first()
        )
        if upgrade is None:
            return None
        waited = timeout_words(int(settings.OTA_UPGRADE_TIMEOUT_S))
        message = (
            f"The upgrade to {upgrade.to_version} failed: the device did not come back with "
            f"the new firmware within {waited}."
        )
        return _end(upgrade, UpgradeState.FAILED, message)


def _end(upgrade: FirmwareUpgrade, state: str, message: str) -> FirmwareUpgrade:
    """Inside the caller's transaction: the record, the action, the pages, the notification."""
    thing = upgrade.thing
    upgrade.state = state
    upgrade.message = message[:300]
    upgrade.finished_at = timezone.now()
    upgrade.save(update_fields=["state", "message", "finished_at"])
    result = "ok" if state == UpgradeState.SUCCEEDED else "failed"
    if upgrade.action_id:
        ThingAction.objects.filter(pk=upgrade.action_id).update(result=result, message=message)
    change = StructureChange()
    change.thing(thing)
    announce(thing.household_id, change)
    title = (
        f"{thing.name} now runs firmware {thing.fw_version}"
        if state == UpgradeState.SUCCEEDED
        else f"Firmware upgrade of {thing.name} failed"
    )
    household_id = thing.household_id
    transaction.on_commit(
        lambda: notifications.notify(household_id, NotificationKind.FIRMWARE, title, message)
    )
    return upgrade
