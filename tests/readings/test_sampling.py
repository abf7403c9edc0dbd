"""Sampling on the live path: rate-limited in memory, written in bulk with the state writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from devices.plugins.registry import default_registry
from readings.models import Sample
from readings.sampling import Sampler, write_samples
from realtime.worker.ingest import Ingestor, StateWriter, live_thing
from tests.readings.helpers import meter

pytestmark = pytest.mark.django_db(transaction=True)


class _Thing:
    def __init__(self, pk: int, plugin, state):  # type: ignore[no-untyped-def]
        self.pk, self.plugin, self.state = pk, plugin, state


def test_a_thing_is_sampled_at_most_once_per_interval_with_all_its_numeric_series():
    plugin = default_registry.plugin_for(32, {})
    sampler = Sampler(every=10)
    thing = _Thing(7, plugin, {"power": 50.0, "voltage": 230.1, "current": None, "switch": True})
    sampler.offer(thing, now=1000.0)
    sampler.offer(thing, now=1005.0)  # too soon: dropped
    thing.state = {"power": 60.0, "voltage": True}  # a boolean is not a reading
    sampler.offer(thing, now=1010.0)
    rows = sampler.take()
    assert [(pk, key, value) for pk, key, _at, value in rows] == [
        (7, "power", 50.0),
        (7, "voltage", 230.1),
        (7, "power", 60.0),
    ]
    assert sampler.take() == []
    switch = _Thing(8, default_registry.plugin_for(1, {}), {"switch": True})
    sampler.offer(switch, now=2000.0)  # a plain switch charts nothing
    assert sampler.pending == []


def test_samples_are_written_in_one_statement_and_a_deleted_thing_loses_only_its_rows():
    keep, gone = meter(), meter()
    at = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    rows = [
        (keep.pk, "power", at, 1.5),
        (keep.pk, "voltage", at, 230.0),
        (gone.pk, "power", at, 9.0),
    ]
    with CaptureQueriesContext(connection) as queries:
        assert write_samples(rows) == 3
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(inserts) == 1  # executemany: one prepared statement for all the rows
    assert inserts[0].startswith("3 times: ")
    assert write_samples(rows[:1]) == 1  # the same key again is skipped, not an error
    gone_pk = gone.pk
    with scopes_disabled():
        gone.delete()
    assert (
        write_samples([(gone_pk, "power", at, 1.0), (keep.pk, "power", at.replace(minute=1), 2.0)])
        == 1
    )
    assert Sample.objects.filter(thing=keep).count() == 3


async def test_frames_from_the_live_path_are_sampled_and_written_with_the_flush():
    thing = await sync_to_async(meter)()
    live = await sync_to_async(live_thing)(thing)
    writer = StateWriter(sampler=Sampler(every=3600))
    events: list[object] = []

    async def publish(household: int, event: object) -> None:
        events.append(event)

    ingest = Ingestor(publish, writer)
    ingest.load(thing.account_id, [live])
    for watts in ("20.00", "21.00", "22.00"):  # one hour between samples: only the first
        await ingest.on_params(thing.account_id, thing.cloud_id, {"power": watts})
    assert len(events) == 3  # every event went out at once, none waited for a write
    assert await sync_to_async(Sample.objects.count)() == 0
    await writer.flush()
    stored = await sync_to_async(lambda: list(Sample.objects.values_list("series", "value")))()
    assert stored == [("power", 20.0)]
