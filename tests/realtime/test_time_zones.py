"""Card bodies the worker and the snapshot send show times in the household's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Household
from devices.models import Thing
from devices.plugins.registry import default_registry
from realtime.snapshot import build_snapshot
from realtime.worker.ingest import Ingestor, LiveThing, StateWriter, load_devices
from realtime.worker.supervisor import Shard, wanted_accounts
from tests.factories import LinkedAccountFactory
from tests.realtime.conftest import link, listen, wait_for

KATHMANDU, TOKYO = "Asia/Kathmandu", "Asia/Tokyo"
EU = "demo-eu@example.com"


def two_hours_ago() -> datetime:
    return timezone.now().replace(microsecond=0) - timedelta(hours=2)


def in_zone(moment: datetime, zone: str) -> str:
    """What a person in `zone` reads in a card body (today or yesterday, two hours ago)."""
    local, today = moment.astimezone(ZoneInfo(zone)), timezone.now().astimezone(ZoneInfo(zone))
    return f"{'today' if local.date() == today.date() else 'yesterday'} {local:%H:%M}"


def door(moment: datetime) -> dict[str, Any]:
    return {"lock": 1, "trigTime": str(int(moment.timestamp() * 1000))}


def live_door(pk: int, household: int, moment: datetime, zone: str | None) -> LiveThing:
    plugin = default_registry.plugin_for(3026)
    thing = LiveThing(pk, household, f"door{pk}", 3026, 1, door(moment), {}, True, None, plugin)
    thing.time_zone = zone
    thing.refresh_state()
    return thing


def test_a_household_that_changes_its_zone_gets_it_in_the_next_bodies() -> None:
    moment = two_hours_ago()
    ingestor = Ingestor(publish=None, writer=StateWriter())  # type: ignore[arg-type]
    ours, theirs = live_door(1, 7, moment, "UTC"), live_door(2, 8, moment, TOKYO)
    ingestor.load(1, [ours])
    ingestor.load(2, [theirs])
    assert in_zone(moment, "UTC") in ours.event()["body"]

    ingestor.set_time_zones({7: KATHMANDU, 8: TOKYO})

    assert in_zone(moment, KATHMANDU) in ours.event()["body"]
    assert in_zone(moment, TOKYO) in theirs.event()["body"]
    assert ours.event()["body"] != theirs.event()["body"]


def _door_of_a_household_in(zone: str, moment: datetime) -> Thing:
    account = LinkedAccountFactory()
    Household.objects.filter(pk=account.household_id).update(time_zone=zone)
    with scopes_disabled():
        return Thing.objects.create(
            household=account.household, account=account, cloud_id="door", item_type=1,
            name="Front door", uiid=3026, params=door(moment),
        )  # fmt: skip


@pytest.mark.django_db
def test_the_worker_loads_each_things_zone_with_it(django_assert_num_queries) -> None:
    moment = two_hours_ago()
    thing = _door_of_a_household_in(KATHMANDU, moment)

    with django_assert_num_queries(1):  # the zone comes with the things
        (live,) = load_devices(thing.account_id)

    assert live.time_zone == KATHMANDU
    assert f">{in_zone(moment, KATHMANDU)}</time>" in live.event()["body"]


@pytest.mark.django_db
def test_the_snapshot_draws_bodies_in_the_households_zone() -> None:
    moment = two_hours_ago()
    thing = _door_of_a_household_in(TOKYO, moment)

    snapshot = build_snapshot(thing.household_id)

    assert f">{in_zone(moment, TOKYO)}</time>" in snapshot["things"][str(thing.pk)]["body"]


@pytest.mark.django_db
def test_the_accounts_a_worker_wants_carry_their_households_zone(
    django_assert_num_queries,
) -> None:
    account = LinkedAccountFactory()
    Household.objects.filter(pk=account.household_id).update(time_zone=TOKYO)
    with django_assert_num_queries(1):
        zones = {a.household_id: a.time_zone for a in wanted_accounts(Shard()).values()}
    assert zones[account.household_id] == TOKYO


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
async def test_a_zone_changed_while_the_worker_runs_reaches_live_bodies(owner, cloud, worker):
    account = await link(owner, EU)

    async def healed() -> bool:
        # The first connect's heal over: one still running when the zone changes reloads the
        # sensor with it and announces its older state ("Closed": run h1, seed 979817).
        connection = worker.connections.get(account.pk)
        return connection is not None and connection.connected and connection.resyncs_done >= 1

    await wait_for(healed, timeout=20)
    sensor = await sync_to_async(
        lambda: Thing.objects.with_scopes_disabled().get(account=account, name="Front door sensor")
    )()
    await sync_to_async(
        lambda: Household.objects.filter(pk=owner.household.pk).update(time_zone=KATHMANDU)
    )()

    async def zone_applied() -> bool:
        live = worker.ingestor.get(account.pk, sensor.cloud_id)
        return live is not None and live.time_zone == KATHMANDU

    await wait_for(zone_applied)  # within a poll of the worker, no reconnect needed
    listener = await listen(owner.household.pk)
    moment = two_hours_ago()
    cloud.control("POST", f"/devices/{sensor.cloud_id}/params", {"params": door(moment)})

    event = await listener.next("thing", id=sensor.pk)
    assert f">{in_zone(moment, KATHMANDU)}</time>" in event["body"]
