"""Moments in words (dashboard.when): every form, zone boundaries, DST, cloud timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone

from dashboard.when import (
    in_words,
    parse_moment,
    today_in,
    zone_choices,
    zone_named,
    zone_names,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# A Wednesday afternoon, in UTC.
NOW = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)


def words(moment: datetime, *, relative: bool = True, zone=UTC, now: datetime = NOW) -> str:
    return in_words(moment, now, relative=relative, zone=zone)


class TestParse:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2026-12-02T02:22:27.000Z", datetime(2026, 12, 2, 2, 22, 27, tzinfo=UTC)),
            ("2026-12-02T03:22:27+01:00", datetime(2026, 12, 2, 2, 22, 27, tzinfo=UTC)),
            ("2026-12-02T02:22:27", datetime(2026, 12, 2, 2, 22, 27, tzinfo=UTC)),  # naive: UTC
            (" 1764093600000 ", datetime(2025, 11, 25, 18, 0, tzinfo=UTC)),  # trigTime, ms
            (1764093600000, datetime(2025, 11, 25, 18, 0, tzinfo=UTC)),
            (1764093600, datetime(2025, 11, 25, 18, 0, tzinfo=UTC)),  # seconds
            (1764093600.5, datetime(2025, 11, 25, 18, 0, 0, 500000, tzinfo=UTC)),
            (datetime(2026, 1, 1, 12), datetime(2026, 1, 1, 12, tzinfo=UTC)),
        ],
    )
    def test_cloud_and_state_timestamps(self, value, expected) -> None:
        assert parse_moment(value) == expected

    def test_an_aware_datetime_is_kept(self) -> None:
        moment = datetime(2026, 1, 1, 12, tzinfo=BERLIN)
        assert parse_moment(moment) is moment

    @pytest.mark.parametrize(
        "value",
        [None, "", "soon", "2026-13-01T00:00:00Z", True, 0, -5, 10**15, float("nan"), [1], {}],
    )
    def test_what_is_not_a_moment(self, value) -> None:
        assert parse_moment(value) is None
        assert in_words(value, NOW) == ""


class TestWords:
    @pytest.mark.parametrize(
        ("ago", "expected"),
        [
            (timedelta(seconds=0), "just now"),
            (timedelta(seconds=59), "just now"),
            (timedelta(seconds=-30), "just now"),  # a device clock a little ahead
            (timedelta(minutes=1), "1 min ago"),
            (timedelta(minutes=3, seconds=40), "3 min ago"),
            (timedelta(minutes=59, seconds=59), "59 min ago"),
            (timedelta(hours=1), "today 13:30"),
        ],
    )
    def test_relative_within_the_hour(self, ago: timedelta, expected: str) -> None:
        assert words(NOW - ago) == expected

    @pytest.mark.parametrize(
        ("moment", "expected"),
        [
            (datetime(2026, 12, 2, 0, 0, tzinfo=UTC), "today 00:00"),
            (datetime(2026, 12, 1, 23, 59, tzinfo=UTC), "yesterday 23:59"),
            (datetime(2026, 12, 1, 9, 10, tzinfo=UTC), "yesterday 09:10"),
            (datetime(2026, 11, 30, 14, 2, tzinfo=UTC), "Mon 14:02"),
            (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), "Thu 08:00"),  # six days ago
            (datetime(2026, 11, 25, 14, 2, tzinfo=UTC), "25 Nov 14:02"),  # a week: the date
            (datetime(2026, 1, 1, 0, 5, tzinfo=UTC), "1 Jan 00:05"),
            (datetime(2025, 12, 31, 23, 0, tzinfo=UTC), "31 Dec 2025"),
            (datetime(2025, 12, 2, 14, 2, tzinfo=UTC), "2 Dec 2025"),
            (datetime(2026, 12, 3, 7, 0, tzinfo=UTC), "tomorrow 07:00"),
            (datetime(2026, 12, 24, 18, 0, tzinfo=UTC), "24 Dec 18:00"),
            (datetime(2027, 1, 5, 18, 0, tzinfo=UTC), "5 Jan 2027"),
        ],
    )
    def test_by_day(self, moment: datetime, expected: str) -> None:
        assert words(moment) == expected
        assert words(moment, relative=False) == expected

    def test_absolute_words_never_say_ago(self) -> None:
        assert words(NOW - timedelta(seconds=10), relative=False) == "today 14:29"
        assert words(NOW - timedelta(minutes=3), relative=False) == "today 14:27"

    def test_the_current_zone_is_the_default(self) -> None:
        with timezone.override("Asia/Kathmandu"):  # +05:45
            assert in_words(datetime(2026, 12, 2, 10, 0, tzinfo=UTC), NOW) == "today 15:45"
        with timezone.override("UTC"):
            assert in_words(datetime(2026, 12, 2, 10, 0, tzinfo=UTC), NOW) == "today 10:00"

    def test_now_defaults_to_the_clock(self) -> None:
        assert in_words(timezone.now() - timedelta(minutes=5)) == "5 min ago"


class TestZones:
    def test_yesterday_is_yesterday_in_the_households_zone(self) -> None:
        # 00:30 in Berlin on 10 March is still 9 March in UTC: 23:50 Berlin was yesterday.
        now = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
        moment = datetime(2026, 3, 9, 22, 50, tzinfo=UTC)
        assert words(moment, zone=BERLIN, now=now, relative=False) == "yesterday 23:50"
        assert words(moment, zone=UTC, now=now, relative=False) == "today 22:50"
        assert words(moment, zone=NEW_YORK, now=now, relative=False) == "today 18:50"

    def test_a_moment_just_after_midnight_west_of_utc(self) -> None:
        now = datetime(2026, 3, 10, 4, 59, tzinfo=UTC)  # 00:59 in New York (EDT since 8 March)
        moment = datetime(2026, 3, 10, 3, 59, tzinfo=UTC)  # 23:59 the day before, there
        assert words(moment, zone=NEW_YORK, now=now) == "yesterday 23:59"
        assert words(moment, zone=UTC, now=now) == "today 03:59"

    def test_dst_spring_forward(self) -> None:
        # Berlin skips 02:00-03:00 on 29 March 2026: 00:59 UTC is 01:59 CET, 01:05 UTC 03:05 CEST.
        before = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
        after = datetime(2026, 3, 29, 1, 5, tzinfo=UTC)
        assert words(before, zone=BERLIN, now=after) == "6 min ago"
        assert words(before, zone=BERLIN, now=after, relative=False) == "today 01:59"
        assert words(after, zone=BERLIN, now=after, relative=False) == "today 03:05"

    def test_dst_fall_back_twice_the_same_hour(self) -> None:
        # 02:30 happens twice in Berlin on 25 October 2026 (CEST, then CET).
        now = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
        first, second = (datetime(2026, 10, 25, h, 30, tzinfo=UTC) for h in (0, 1))
        assert words(first, zone=BERLIN, now=now) == "today 02:30"
        assert words(second, zone=BERLIN, now=now) == "today 02:30"
        assert words(first, zone=BERLIN, now=second + timedelta(minutes=10)) == "today 02:30"

    def test_zone_names(self) -> None:
        assert zone_named("Europe/Berlin") == BERLIN
        assert "Europe/Berlin" in zone_names()
        assert "UTC" in zone_names()
        assert list(zone_names()) == sorted(zone_names())
        for legacy in ("US/Eastern", "EST", "localtime", "Etc/GMT+5"):
            assert legacy not in zone_names()

    @override_settings(TIME_ZONE="EST")
    def test_the_sites_own_zone_is_always_offered(self) -> None:
        assert "EST" in zone_names()

    def test_zone_choices_are_grouped_by_area_with_short_labels(self) -> None:
        choices = zone_choices()
        assert choices[0] == ("UTC", "UTC")
        groups = dict(choices[1:])
        assert ("Asia/Kathmandu", "Kathmandu") in groups["Asia"]
        assert ("America/Argentina/Buenos_Aires", "Buenos Aires") in groups["America/Argentina"]
        assert ("America/North_Dakota/New_Salem", "New Salem") in groups["America/North Dakota"]
        offered = [value for _group, options in choices[1:] for value, _label in options]
        assert sorted(["UTC", *offered]) == list(zone_names())
        longest = max(len(label) for _group, options in choices[1:] for _value, label in options)
        assert longest <= 20, "a phone-wide select"

    @override_settings(TIME_ZONE="America/New_York")
    def test_an_unknown_zone_falls_back_to_the_sites(self) -> None:
        assert zone_named("Mars/Olympus_Mons") == NEW_YORK
        assert zone_named(None) == NEW_YORK
        assert zone_named("../etc/passwd") == NEW_YORK


class TestFilters:
    def render(self, source: str, **context: object) -> str:
        return Template("{% load when %}" + source).render(Context(context))

    def test_when_and_when_absolute(self) -> None:
        moment = timezone.now() - timedelta(minutes=3)
        with timezone.override("UTC"):
            assert self.render("{{ at|when }}", at=moment) == "3 min ago"
            absolute = self.render("{{ at|when_absolute }}", at=moment)
        assert absolute in (f"today {moment:%H:%M}", f"yesterday {moment:%H:%M}")

    def test_iso_strings_from_the_cloud(self) -> None:
        source = "{% with at=raw|moment %}{{ at|date:'c' }} {{ raw|when_absolute }}{% endwith %}"
        with timezone.override("Europe/Berlin"):
            html = self.render(source, raw="2025-12-02T02:22:27.000Z")
        assert html == "2025-12-02T03:22:27+01:00 2 Dec 2025"

    def test_garbage_renders_nothing(self) -> None:
        assert self.render("[{{ raw|when }}][{{ raw|when_absolute }}]", raw="soon") == "[][]"


class TestToday:
    def test_today_turns_at_the_zones_midnight(self, monkeypatch: pytest.MonkeyPatch) -> None:
        clock = {"now": datetime(2026, 3, 9, 22, 59, 59, tzinfo=UTC)}  # 23:59:59 in Berlin
        monkeypatch.setattr("django.utils.timezone.now", lambda: clock["now"])
        assert today_in(BERLIN) == date(2026, 3, 9)
        assert today_in(UTC) == date(2026, 3, 9)
        clock["now"] += timedelta(seconds=1)  # midnight in Berlin, still the 9th in UTC
        assert today_in(BERLIN) == date(2026, 3, 10)
        assert today_in(UTC) == date(2026, 3, 9)
        clock["now"] = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
        assert today_in(UTC) == date(2026, 3, 10)

    def test_across_a_dst_change(self, monkeypatch: pytest.MonkeyPatch) -> None:
        clock = {"now": datetime(2026, 3, 28, 22, 59, tzinfo=UTC)}  # 23:59 CET, 28 March
        monkeypatch.setattr("django.utils.timezone.now", lambda: clock["now"])
        assert today_in(BERLIN) == date(2026, 3, 28)
        clock["now"] = datetime(2026, 3, 29, 21, 59, tzinfo=UTC)  # 23:59 CEST, 29 March
        assert today_in(BERLIN) == date(2026, 3, 29)
        clock["now"] = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # midnight CEST
        assert today_in(BERLIN) == date(2026, 3, 30)
