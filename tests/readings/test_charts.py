"""The chart endpoint: resolution by range, bands at roll-ups, the raw tail, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readings.charts import resolution, window
from readings.models import Rollup, Sample
from tests.factories import MembershipFactory
from tests.readings.helpers import meter

pytestmark = pytest.mark.django_db


def test_a_range_picks_the_finest_resolution_kept_with_few_enough_points():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert window("6h", now).step == 0
    assert window("24h", now).step == 300
    assert window("7d", now).step == 300
    assert window("30d", now).step == 3600
    assert window("1y", now).step == 3600
    # An old custom range of a few hours: raw is gone by then, so 5-minute.
    assert resolution(now - timedelta(days=5), timedelta(hours=3), now) == 300
    assert window("custom", now, "2026-11-01", "2026-11-02").step == 3600  # past 30 days


def _client_of(thing, role: str):  # type: ignore[no-untyped-def]
    from django.test import Client

    membership = MembershipFactory(household=thing.household, role=role)
    client = Client()
    client.force_login(membership.user)
    return client


def test_guests_get_bands_from_roll_ups_and_the_tail_from_raw_samples(unscoped):
    thing = meter(uiid=32, params={"switch": "on", "power": "5.00", "voltage": "230.00"})
    now = timezone.now()
    bucket = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    Rollup.objects.create(
        thing=thing, series="power", step=300, at=bucket, low=1, mean=2, high=3, count=30
    )
    Sample.objects.create(thing=thing, series="power", at=now - timedelta(seconds=30), value=7.0)
    response = _client_of(thing, "guest").get(
        reverse("dashboard:thing_readings", args=[thing.pk]), {"range": "7d", "series": "power"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["step"] == 300
    assert [s["key"] for s in body["series"]] == ["power"]
    assert body["t"][0] == int(bucket.timestamp())
    assert body["data"]["power"] == {"avg": [2.0, 7.0], "min": [1.0, 7.0], "max": [3.0, 7.0]}


def test_a_bad_range_is_a_clear_error(unscoped):
    thing = meter()
    client = _client_of(thing, "member")
    url = reverse("dashboard:thing_readings", args=[thing.pk])
    for params, words in (
        ({"range": "forever"}, "Unknown range"),
        ({"range": "custom", "start": "2026-12-02", "end": "2026-12-01"}, "after the start"),
        ({"range": "custom", "start": "yesterday", "end": "2026-12-01"}, "must be a date"),
    ):
        response = client.get(url, params)
        assert response.status_code == 400
        assert words in response.json()["error"]
