"""Energy history: decoding the notes' encodings, days in the household's calendar, the
worker storing a report, and the panel's totals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from asgiref.sync import sync_to_async

from devices.plugins.meter.energy import hours, hundred_days, outlet_days
from devices.plugins.registry import default_registry
from readings.energy import daily_totals, energy_view
from readings.models import EnergyDay
from realtime.worker.ingest import Ingestor, StateWriter, live_thing
from tests.readings.helpers import meter


def test_the_three_encodings_decode_newest_first_and_stop_at_a_bad_chunk():
    assert hundred_days("0a0305" + "010000") == (10.35, 1.0)
    assert outlet_days("0c0701zz") == (12.07,)  # "01zz" is not a number: the history ends
    assert hours("a05100") == (10.05, 1.0)
    assert hundred_days(None) == ()


def test_days_follow_the_household_calendar_and_hours_are_summed():
    plugin = default_registry.plugin_for(190, {})
    [history] = plugin.energy_history({"hoursKwhData": "050" * 30})  # 30 hours of 0.5 kWh
    received = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)  # 04:30 in Berlin
    totals = daily_totals([history], received, "Europe/Berlin")
    # 04:00 back to 00:00 of the 2nd is 5 hours; the other 25 hours are the 1st (24) and a
    # partial 30 Nov, which is left out.
    assert totals == {(0, date(2026, 12, 2)): 2.5, (0, date(2026, 12, 1)): 12.0}


@pytest.mark.django_db(transaction=True)
async def test_a_report_on_the_live_path_is_stored_and_announced_not_merged():
    thing = await sync_to_async(meter)(uiid=32)
    live = await sync_to_async(live_thing)(thing)
    writer = StateWriter()
    events: list[dict] = []

    async def publish(household: int, event: dict) -> None:
        events.append(event)

    ingest = Ingestor(publish, writer)
    ingest.load(thing.account_id, [live])
    await ingest.on_params(thing.account_id, thing.cloud_id, {"hundredDaysKwhData": "020500" * 3})
    for task in list(ingest._tasks):
        await task
    assert [e["type"] for e in events] == ["details"]
    assert "hundredDaysKwhData" not in live.params
    days = await sync_to_async(
        lambda: list(EnergyDay.objects.order_by("day").values_list("outlet", "kwh"))
    )()
    assert days == [(0, 2.5), (0, 2.5), (0, 2.5)]


@pytest.mark.django_db
def test_the_panel_sums_outlets_by_day_and_month(unscoped):
    thing = meter(uiid=126, params={"switches": []})
    at = datetime(2026, 12, 2, 12, tzinfo=UTC)
    for outlet, day, kwh in ((1, 2, 1.0), (2, 2, 0.5), (1, 1, 2.0), (1, 30, 4.0)):
        month = 12 if day < 30 else 11
        EnergyDay.objects.create(
            thing=thing, outlet=outlet, day=date(2026, month, day), kwh=kwh, fetched_at=at
        )
    view = energy_view(thing, date(2026, 12, 2))
    assert view.days[-1] == (date(2026, 12, 2), 1.5)
    assert view.days[-2] == (date(2026, 12, 1), 2.0)
    assert view.months[-1] == (date(2026, 12, 1), 3.5)
    assert view.months[-2] == (date(2026, 11, 1), 4.0)
    assert view.outlets == [(1, 1.0, 3.0), (2, 0.5, 0.5)]


@pytest.mark.django_db
def test_the_beat_job_asks_online_meters_that_keep_a_history(unscoped):
    from readings.energy import meters_to_fetch

    asked = meter(uiid=32)
    meter(uiid=32, online=False, cloud_id="offline")  # an offline meter cannot answer
    meter(uiid=1, params={"switch": "on"}, cloud_id="switch")  # a plain switch keeps none
    meter(uiid=165, params={"switches": []}, cloud_id="lite")  # DualR3 Lite: no metering
    assert meters_to_fetch() == [asked.pk]
