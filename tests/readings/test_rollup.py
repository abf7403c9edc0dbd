"""Roll-ups (5-minute, hourly min/mean/max) and pruning, on PostgreSQL or SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from readings.models import Rollup, Sample
from readings.rollup import roll_up
from tests.readings.helpers import meter

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 12, 7, 30, tzinfo=UTC)


def _samples(thing, start: datetime, values: list[float], every: int = 10) -> None:  # type: ignore[no-untyped-def]
    Sample.objects.bulk_create(
        Sample(thing=thing, series="power", at=start + timedelta(seconds=every * n), value=v)
        for n, v in enumerate(values)
    )


def test_finished_buckets_are_summarized_and_old_rows_pruned(settings):
    thing = meter()
    # 11:00-12:07:30 every 10 s: 0, 1, 2 … so each bucket's min/mean/max is known.
    start = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    _samples(thing, start, [float(n) for n in range(405)])
    _samples(thing, NOW - timedelta(hours=49), [999.0])  # past the 48 h of raw
    Rollup.objects.create(
        thing=thing, series="power", step=300, at=NOW - timedelta(days=31),
        low=1, mean=1, high=1, count=1,
    )  # fmt: skip
    result = roll_up(NOW)
    five = Rollup.objects.filter(step=300).order_by("at")
    # 11:00 … 12:00 are finished (13 buckets); 12:05 is still going.
    assert five.count() == 13
    first = five.first()
    assert first.at == start
    assert (first.low, first.mean, first.high, first.count) == (0, 14.5, 29, 30)
    hourly = Rollup.objects.get(step=3600)
    assert (hourly.at, hourly.low, hourly.high, hourly.count) == (start, 0, 359, 360)
    assert hourly.mean == pytest.approx(179.5)
    assert result.pruned == 2  # the 49-hour-old sample and the 31-day-old 5-minute row
    assert not Sample.objects.filter(value=999).exists()
    # Run again five minutes later: the 12:05 bucket is added, nothing is counted twice.
    roll_up(NOW + timedelta(minutes=5))
    assert Rollup.objects.filter(step=300).count() == 14
    again = Rollup.objects.get(step=300, at=start)
    assert again.count == 30
