"""History sync against cloudsim: incremental paging, no duplicates, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

import ewelink
from accounts.models import JobKind
from devices.history import DeviceCursor, store_entries
from devices.models import HistoryEntry, Thing
from devices.tasks import sync_history_for_account
from tests.fixtures.cloud import sim_devices

from .conftest import calls, task_run

pytestmark = pytest.mark.integration


def _device(cloud, account, name: str) -> str:
    return next(d["deviceid"] for d in sim_devices(cloud, account.apikey) if d["name"] == name)


def _toggle(cloud, deviceid: str, times: int) -> None:
    for n in range(times):
        cloud.control(
            "POST", f"/devices/{deviceid}/params", {"params": {"switch": "on" if n % 2 else "off"}}
        )


def _cloud_history(cloud, account, deviceid: str) -> list[dict]:
    """Everything cloudsim keeps for a device, read straight through the control-free API."""
    from asgiref.sync import async_to_sync

    from accounts.cloud import open_client

    async def read() -> list[ewelink.HistoryEntry]:
        async with open_client(account) as client:
            return [entry async for entry in client.iter_history(deviceid)]

    return async_to_sync(read)()


def test_history_sync_pages_over_100_changes_then_goes_incremental(link, cloud, unscoped):
    account = link()
    kitchen = _device(cloud, account, "Kitchen light")
    pantry = _device(cloud, account, "Pantry light")
    _toggle(cloud, kitchen, 110)  # more than cloudsim keeps for one device
    _toggle(cloud, pantry, 25)
    devices = Thing.objects.filter(account=account, kind="device").count()

    first = sync_history_for_account.apply(args=[account.pk]).get()

    total = 0
    for deviceid in (kitchen, pantry):
        in_cloud = sorted(e.ops_time for e in _cloud_history(cloud, account, deviceid))
        stored = HistoryEntry.objects.filter(thing__cloud_id=deviceid, thing__account=account)
        assert sorted(_ms(e.ops_time) for e in stored) == in_cloud
        total += len(in_cloud)
    assert total > 100
    assert first["created"] == first["fetched"] == HistoryEntry.objects.count()
    assert task_run(account, JobKind.SYNC_HISTORY).ok

    # Incremental: five new changes, one page per device, exactly the five stored.
    _toggle(cloud, kitchen, 5)
    cloud.control("POST", "/counters/reset")
    second = sync_history_for_account.apply(args=[account.pk]).get()
    assert second["created"] == 5
    assert calls(cloud, "GET /v2/device/history") == devices
    assert HistoryEntry.objects.count() == first["created"] + 5


def _ms(value) -> int:
    return round(value.timestamp() * 1000)


def test_running_twice_changes_nothing(link, cloud, unscoped):
    account = link()
    sync_history_for_account.apply(args=[account.pk]).get()
    before = list(HistoryEntry.objects.order_by("pk").values_list("pk", "fingerprint"))
    assert before, "the demo household has history"

    again = sync_history_for_account.apply(args=[account.pk]).get()

    assert again["created"] == 0
    assert list(HistoryEntry.objects.order_by("pk").values_list("pk", "fingerprint")) == before


def test_storing_the_same_entries_twice_keeps_one_copy_of_each(link, cloud, unscoped):
    account = link()
    thing = Thing.objects.filter(account=account, kind="device").first()
    raw = {"deviceid": thing.cloud_id, "opsTime": 1_700_000_000_000, "request": "{}"}
    twins = [ewelink.HistoryEntry.from_raw(raw), ewelink.HistoryEntry.from_raw(raw)]
    cursor = DeviceCursor(thing.pk, thing.cloud_id, 0)

    assert store_entries(account, cursor, twins) == 2  # two identical entries are two entries
    assert store_entries(account, cursor, twins) == 0
    assert store_entries(account, cursor, twins[:1]) == 0
    assert HistoryEntry.objects.filter(thing=thing).count() == 2
    # The database, not the pre-check, is what refuses a copy.
    copy = HistoryEntry.objects.filter(thing=thing).first()
    copy.pk = None
    HistoryEntry.objects.bulk_create([copy], ignore_conflicts=True)
    assert HistoryEntry.objects.filter(thing=thing).count() == 2


def test_entries_past_retention_are_deleted_and_not_fetched(link, cloud, settings, unscoped):
    account = link()
    thing = Thing.objects.filter(account=account, kind="device").first()
    old = HistoryEntry.objects.create(
        household=account.household,
        thing=thing,
        ops_time=timezone.now() - timedelta(days=40),
        fingerprint="old",
    )
    settings.HISTORY_RETENTION = timedelta(days=30)

    result = sync_history_for_account.apply(args=[account.pk]).get()

    assert result["deleted"] == 1
    assert not HistoryEntry.objects.filter(pk=old.pk).exists()
    horizon = timezone.now() - timedelta(days=30)
    assert not HistoryEntry.objects.filter(ops_time__lt=horizon).exists()
    with scopes_disabled():
        assert HistoryEntry.objects.filter(thing__account=account).count() == result["created"]
