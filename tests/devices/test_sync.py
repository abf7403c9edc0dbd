"""The sync service against cloudsim (faithful picture, idempotent, deletions) and at scale."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from asgiref.sync import async_to_sync

import ewelink
from accounts import linking
from accounts.cloud import open_client
from accounts.models import LinkedAccount
from devices.models import Home, Room, Share, Thing
from devices.sync import CloudSnapshot, apply_snapshot, fetch_snapshot, sync_account
from tests.factories import LinkedAccountFactory
from tests.fixtures.cloud import DEMO

EU, US, GUEST = "demo-eu@example.com", "demo-us@example.com", "demo-eu-guest@example.com"


def _link(owner, email: str) -> LinkedAccount:
    demo = DEMO[email]
    account = linking.link_with_password(
        owner.membership,
        identifier=email,
        password=demo["password"],
        country_code=demo["country_code"],
        label=email,
    )
    sync_account(account.pk)
    return account


def _with_client(account: LinkedAccount, action: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    async def run() -> Any:
        async with open_client(account) as client:
            return await action(client)

    return async_to_sync(run)()


@pytest.mark.integration
def test_sync_is_a_faithful_picture_of_the_cloud(owner, cloud, unscoped):
    accounts = {email: _link(owner, email) for email in (EU, US, GUEST)}
    devices = cloud.control("GET", "/devices")
    for email, account in accounts.items():
        own = {d["deviceid"]: d for d in devices if d["owner"] == account.apikey}
        things = {t.cloud_id: t for t in Thing.objects.filter(account=account, item_type=1)}
        assert set(things) == set(own), email
        for deviceid, device in own.items():
            thing = things[deviceid]
            assert (thing.name, thing.uiid, thing.online) == (
                device["name"],
                device["uiid"],
                device["online"],
            )
            assert thing.params == device["params"]
            assert (thing.room.cloud_id if thing.room else None) == (device["roomid"] or None)
            assert thing.home.cloud_id == device["familyid"]
        shared = {d["deviceid"] for d in devices if account.apikey in _sharees(d)}
        assert (
            set(
                Thing.objects.filter(account=account, item_type=2).values_list(
                    "cloud_id", flat=True
                )
            )
            == shared
        )
    eu = accounts[EU]
    assert set(Home.objects.filter(account=eu).values_list("name", flat=True)) == {
        "Flat",
        "Holiday cottage",
    }
    assert set(Room.objects.filter(home__name="Flat").values_list("name", flat=True)) == {
        "Kitchen", "Living room", "Bedroom", "Hall",
    }  # fmt: skip
    group = Thing.objects.get(account=eu, kind="group")
    assert group.name == "Kitchen lights"
    sofa = Thing.objects.get(account=eu, name="Sofa lamp")
    assert Share.objects.get(thing=sofa).permit == 15
    zigbee_child = Thing.objects.get(account=eu, name="Front door sensor")
    assert zigbee_child.parent_id == Thing.objects.get(account=eu, name="Zigbee bridge").cloud_id


def _sharees(device: dict[str, Any]) -> set[str]:
    return {s["apikey"] if isinstance(s, dict) else s for s in device.get("shared_with", [])}


@pytest.mark.integration
def test_a_second_sync_changes_nothing(owner, cloud, unscoped, django_assert_max_num_queries):
    account = _link(owner, EU)
    with django_assert_max_num_queries(15):
        result = sync_account(account.pk)
    assert not result.changed, result


@pytest.mark.integration
def test_deletions_renames_and_local_data(owner, cloud, unscoped):
    account = _link(owner, EU)
    kitchen = Thing.objects.get(account=account, name="Kitchen light")
    pantry = Thing.objects.get(account=account, name="Pantry light")
    Thing.objects.filter(pk=kitchen.pk).update(favourite=True, hidden=True)

    _with_client(account, lambda c: c.delete_device(pantry.cloud_id))
    _with_client(account, lambda c: c.update_device_info(kitchen.cloud_id, name="Cooker light"))
    result = sync_account(account.pk)

    assert not Thing.objects.filter(pk=pantry.pk).exists()
    kitchen.refresh_from_db()
    assert kitchen.name == "Cooker light"
    assert (kitchen.favourite, kitchen.hidden) == (True, True)  # local-only data survives
    assert result.deleted["things"] == 1
    assert result.updated["things"] >= 1


def _raw_device(n: int, familyid: str, roomid: str, **params: Any) -> dict[str, Any]:
    return {
        "itemType": 1,
        "index": n,
        "itemData": {
            "deviceid": f"{n:010x}",
            "name": f"Device {n}",
            "apikey": "owner",
            "online": n % 7 != 0,
            "params": {"switch": "on" if n % 2 else "off", **params},
            "extra": {"uiid": 1},
            "family": {"familyid": familyid, "roomid": roomid, "index": n},
            "shareTo": [{"apikey": f"friend{n % 3}", "permit": 15}] if n % 10 == 0 else [],
        },
    }


def _snapshot(count: int, **params: Any) -> CloudSnapshot:
    rooms = [{"id": f"room{r}", "name": f"Room {r}", "index": r} for r in range(20)]
    home = ewelink.Home.from_raw({"id": "home1", "name": "Big house", "roomList": rooms})
    things = [
        ewelink.Thing.from_raw(_raw_device(n, "home1", f"room{n % 20}", **params))
        for n in range(count)
    ]
    return CloudSnapshot([home], "home1", things)


def test_syncing_a_thousand_things_takes_a_bounded_number_of_queries(
    db, unscoped, django_assert_max_num_queries
):
    account = LinkedAccountFactory()
    # A few dozen at most: bulk inserts come in batches (SQLite caps a query at 999
    # parameters, so ~40 rows per INSERT there; PostgreSQL takes 500 per batch).
    with django_assert_max_num_queries(40):
        first = apply_snapshot(account.pk, _snapshot(1000))
    assert first.created == {"homes": 1, "rooms": 20, "things": 1000, "shares": 100}
    assert Thing.objects.filter(account=account, room__isnull=False).count() == 1000

    with django_assert_max_num_queries(12):
        again = apply_snapshot(account.pk, _snapshot(1000))
    assert not again.changed

    with django_assert_max_num_queries(40):
        changed = apply_snapshot(account.pk, _snapshot(900, power="12.5"))
    assert changed.updated["things"] == 900
    assert changed.deleted["things"] == 100
    assert Thing.objects.filter(account=account).count() == 900


def test_a_sync_of_one_account_leaves_other_accounts_alone(db, unscoped):
    mine, theirs = LinkedAccountFactory(), LinkedAccountFactory()
    apply_snapshot(theirs.pk, _snapshot(5))
    apply_snapshot(mine.pk, _snapshot(3))
    apply_snapshot(mine.pk, CloudSnapshot([], None, []))
    assert Thing.objects.filter(account=mine).count() == 0
    assert Thing.objects.filter(account=theirs).count() == 5


@pytest.mark.integration
def test_a_group_takes_its_state_from_its_members(owner, cloud, unscoped):
    account = _link(owner, EU)
    group = Thing.objects.get(account=account, kind="group")
    members = group.extra["members"]
    assert len(members) == 2  # Kitchen light and Pantry light
    for deviceid in members:
        cloud.control("POST", f"/devices/{deviceid}/params", {"params": {"switch": "off"}})
    sync_account(account.pk)
    group.refresh_from_db()
    assert group.params["switch"] == "off"

    # One member switched on by itself (a wall switch, another app): the group is on, even
    # though the cloud's group params still remember the last group command.
    cloud.control("POST", f"/devices/{members[1]}/params", {"params": {"switch": "on"}})
    sync_account(account.pk)
    group.refresh_from_db()
    assert group.params["switch"] == "on"


@pytest.mark.integration
def test_a_sync_that_read_the_cloud_earlier_is_not_stored_over_a_later_one(owner, cloud, unscoped):
    # Two syncs of one account overlap (the worker's resync, a page's "Sync now"): the one
    # that read the cloud first may finish last, and must not put back what it read.
    account = _link(owner, EU)
    kitchen = Thing.objects.get(account=account, name="Kitchen light")
    earlier = _with_client(account, fetch_snapshot)
    _with_client(account, lambda c: c.update_device_info(kitchen.cloud_id, name="Cooker light"))
    later = _with_client(account, fetch_snapshot)
    assert earlier.taken_at < later.taken_at

    assert not apply_snapshot(account.pk, later).superseded
    stale = apply_snapshot(account.pk, earlier)

    assert stale.superseded
    assert not stale.changed
    kitchen.refresh_from_db()
    assert kitchen.name == "Cooker light"
    account.refresh_from_db()
    assert account.synced_as_of == later.taken_at
