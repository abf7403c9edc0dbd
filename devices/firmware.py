"""Firmware checks: ask the cloud which devices have newer firmware, and remember each offer.

The OTA query takes at most 30 devices a call, each with its module model and current
version, so devices without either are not asked about. A version offered for the first
time becomes a `FirmwareUpdate` and a household notification; the same offer found again
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from django.db.models import Q
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import ewelink
from accounts import notifications
from accounts.cloud import open_client
from accounts.models import LinkedAccount, NotificationKind
from devices.models import FirmwareUpdate, Thing, ThingKind

BATCH = 30  # the OTA query's documented maximum


def check_account_firmware(account_id: int) -> dict[str, Any]:
    """Query the cloud for the account's devices and record the updates it offers."""
    with scopes_disabled():
        account = LinkedAccount.objects.get(pk=account_id)
    with scope(household=account.household_id):
        things = list(
            Thing.objects.filter(account=account, kind=ThingKind.DEVICE)
            .exclude(Q(model="") | Q(fw_version=""))
            .order_by("pk")
        )
    offers = async_to_sync(_query)(account, things)
    new = record_offers(account, things, offers)
    installed = mark_installed(account)
    return {"checked": len(things), "offered": len(offers), "new": new, "installed": installed}


async def _query(account: LinkedAccount, things: Sequence[Thing]) -> list[ewelink.OtaInfo]:
    offers: list[ewelink.OtaInfo] = []
    async with open_client(account) as client:
        for start in range(0, len(things), BATCH):
            batch = [
                ewelink.DeviceFirmware(thing.cloud_id, thing.model, thing.fw_version)
                for thing in things[start : start + BATCH]
            ]
            offers.extend(await client.get_ota_info(batch))
    return offers


def record_offers(
    account: LinkedAccount, things: Sequence[Thing], offers: Sequence[ewelink.OtaInfo]
) -> int:
    """Store offers not seen before and tell the household about each; returns how many."""
    by_deviceid = {thing.cloud_id: thing for thing in things}
    wanted = {}
    for offer in offers:
        thing = by_deviceid.get(offer.deviceid)
        if thing is not None and offer.version and offer.version != thing.fw_version:
            wanted[(thing.pk, offer.version)] = (thing, offer)
    with scope(household=account.household_id):
        known = set(
            FirmwareUpdate.objects.filter(thing__account=account).values_list("thing_id", "version")
        )
        fresh = [pair for key, pair in wanted.items() if key not in known]
        FirmwareUpdate.objects.bulk_create(
            [_update(account, thing, offer) for thing, offer in fresh], ignore_conflicts=True
        )
    for thing, offer in fresh:
        notifications.notify(
            account.household_id,
            NotificationKind.FIRMWARE,
            f"Firmware {offer.version} is available for {thing.name}",
            f"{thing.name} runs {thing.fw_version}; the eWeLink cloud offers {offer.version}.",
        )
    return len(fresh)


def mark_installed(account: LinkedAccount) -> int:
    """Offers whose version the device now reports are installed."""
    with scope(household=account.household_id):
        pending = FirmwareUpdate.objects.filter(
            thing__account=account, installed_at=None
        ).select_related("thing")
        done = [update.pk for update in pending if update.thing.fw_version == update.version]
        return FirmwareUpdate.objects.filter(pk__in=done).update(installed_at=timezone.now())


def _update(account: LinkedAccount, thing: Thing, offer: ewelink.OtaInfo) -> FirmwareUpdate:
    return FirmwareUpdate(
        household_id=account.household_id,
        thing=thing,
        current_version=thing.fw_version,
        version=offer.version[:50],
        files=[file.to_wire() for file in offer.bin_list],
        update_type=(offer.type or "")[:20],
        force_time=(offer.force_time or "")[:50],
    )
