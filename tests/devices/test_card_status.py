"""The card header's status line: drawn once per second of updates, still right for each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from dashboard.when import zone_named
from devices import presentation
from devices.presentation import card_status


def test_updates_of_one_second_share_a_line_and_the_next_second_gets_its_own():
    moment = timezone.now().replace(microsecond=100)
    first = card_status(True, moment, tz="Europe/Paris")
    assert card_status(True, moment + timedelta(microseconds=500_000), tz="Europe/Paris") is first
    later = card_status(True, moment + timedelta(seconds=1), tz="Europe/Paris")
    local = (moment + timedelta(seconds=1)).astimezone(zone_named("Europe/Paris"))
    assert f'datetime="{local.isoformat(timespec="seconds")}"' in later
    assert later != first


def test_the_line_follows_online_zone_and_day():
    moment = datetime(2026, 1, 5, 12, 0, 30, tzinfo=UTC)
    online = card_status(True, moment, tz="Europe/Paris")
    offline = card_status(False, moment, tz="Europe/Paris")
    assert "Online" in online
    assert "Offline" in offline
    tokyo = card_status(True, moment, tz="Asia/Tokyo")
    assert "21:00" in tokyo
    assert "13:00" in online
    assert "+09:00" in tokyo
    assert "+01:00" in online


def test_a_full_cache_starts_over_rather_than_growing(monkeypatch):
    monkeypatch.setattr(presentation, "STATUS_CACHE_SIZE", 3)
    presentation._STATUSES.clear()
    start = timezone.now()
    for second in range(7):
        card_status(True, start + timedelta(seconds=second), tz="UTC")
    assert len(presentation._STATUSES) <= 3
