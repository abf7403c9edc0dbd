"""The pure timer functions: parsing `at`, the next due moment, catch-up, disabling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cloudsim.clock import SimClock
from cloudsim.timers import (
    TimerFormatError,
    cron_weekday,
    disabled,
    due_between,
    earliest_due,
    iso,
    next_due,
    parse_iso,
    parse_loop,
    parse_repeat,
    parse_weekdays,
)

# 2026-12-02 is a Wednesday (cron weekday 3).
WED = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def once(at: str, enabled: int = 1, **extra: object) -> dict[str, object]:
    timer = {"enabled": enabled, "mId": "o", "type": "once", "at": at, "do": {"switch": "on"}}
    return timer | extra


def repeat(at: str, enabled: int = 1) -> dict[str, object]:
    return {"enabled": enabled, "mId": "r", "type": "repeat", "at": at, "do": {"switch": "off"}}


def loop(at: str) -> dict[str, object]:
    return {
        "enabled": 1,
        "mId": "l",
        "type": "duration",
        "at": at,
        "startDo": {"switch": "on"},
        "endDo": {"switch": "off"},
    }


def test_parse_iso_reads_the_documents_form_and_offsets() -> None:
    assert parse_iso("2017-07-24T08:28:00.000Z") == datetime(2017, 7, 24, 8, 28, tzinfo=UTC)
    assert parse_iso("2017-07-24T10:28:00+02:00") == datetime(2017, 7, 24, 8, 28, tzinfo=UTC)
    assert parse_iso("2017-07-24T08:28:00") == datetime(2017, 7, 24, 8, 28, tzinfo=UTC)
    with pytest.raises(TimerFormatError):
        parse_iso("tomorrow")


def test_iso_writes_milliseconds_and_z() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"


def test_parse_repeat_and_weekdays() -> None:
    assert parse_repeat("36 8 * * 1,3") == (36, 8, frozenset({1, 3}))
    assert parse_repeat("0 0 * * *") == (0, 0, frozenset(range(7)))
    assert parse_weekdays("1-5") == frozenset({1, 2, 3, 4, 5})
    assert parse_weekdays("7") == frozenset({0})  # cron's other Sunday
    for bad in ("60 8 * * 1", "5 24 * * 1", "5 8 1 * 1", "5 8 * *", "5 8 * * 8", "5 8 * * 3-1"):
        with pytest.raises(TimerFormatError):
            parse_repeat(bad)


def test_parse_loop() -> None:
    start, m1, m2 = parse_loop("2018-11-21T10:24:00.980Z 10 5")
    assert (start.minute, start.microsecond, m1, m2) == (24, 980000, 10, 5)
    for bad in ("2018-11-21T10:24:00Z 10", "2018-11-21T10:24:00Z 0 5", "x 1 1"):
        with pytest.raises(TimerFormatError):
            parse_loop(bad)


def test_cron_weekday_counts_from_sunday() -> None:
    assert cron_weekday(WED) == 3
    assert cron_weekday(datetime(2026, 12, 6, tzinfo=UTC)) == 0  # a Sunday


def test_once_fires_at_its_moment_only() -> None:
    timer = once("2026-12-02T12:30:00.000Z")
    due = next_due(timer, WED)
    assert due is not None
    assert (due.when, due.action, due.once, due.mid) == (
        datetime(2026, 12, 2, 12, 30, tzinfo=UTC),
        {"switch": "on"},
        True,
        "o",
    )
    assert next_due(timer, due.when) is None, "strictly after: a moment fires once"
    assert next_due(timer, WED + timedelta(hours=1)) is None


def test_delay_is_a_once_timer_at_its_at() -> None:
    timer = once("2026-12-02T12:30:00.000Z", coolkit_timer_type="delay", period="30")
    due = next_due(timer, WED)
    assert due is not None
    assert (due.when.minute, due.once) == (30, True)


def test_disabled_and_malformed_timers_never_fire() -> None:
    assert next_due(once("2026-12-02T12:30:00Z", enabled=0), WED) is None
    assert next_due(once("soon"), WED) is None
    assert next_due(repeat("99 8 * * 1"), WED) is None
    assert next_due({"enabled": 1, "type": "weekly", "at": "x", "do": {}}, WED) is None
    assert next_due("not a timer", WED) is None  # type: ignore[arg-type]


def test_repeat_fires_on_the_listed_utc_weekdays() -> None:
    timer = repeat("36 8 * * 1,3")  # Monday and Wednesday 08:36 UTC
    found = due_between(timer, WED, WED + timedelta(days=14))
    days = [(d.when.strftime("%a %H:%M")) for d in found]
    assert days == ["Mon 08:36", "Wed 08:36", "Mon 08:36", "Wed 08:36"]
    assert all(not d.once for d in found)
    # Wednesday's moment still to come today fires today.
    morning = WED.replace(hour=8)
    due = next_due(timer, morning)
    assert due is not None
    assert due.when == WED.replace(hour=8, minute=36)


def test_repeat_star_fires_every_day() -> None:
    found = due_between(repeat("0 13 * * *"), WED, WED + timedelta(days=3))
    assert [d.when.day for d in found] == [2, 3, 4]


def test_loop_alternates_start_and_end() -> None:
    timer = loop("2026-12-02T12:00:00.000Z 10 5")
    found = due_between(timer, WED - timedelta(seconds=1), WED + timedelta(minutes=31))
    assert [(d.when.minute, d.action["switch"]) for d in found] == [
        (10, "on"),
        (15, "off"),
        (25, "on"),
        (30, "off"),
    ]
    # From the middle of a later cycle, arithmetic finds the next step directly.
    late = next_due(timer, WED + timedelta(days=30, minutes=1))
    assert late is not None
    assert late.action == {"switch": "on"}
    assert (late.when - WED).total_seconds() % (15 * 60) == 10 * 60


def test_due_between_is_half_open_and_bounded() -> None:
    timer = repeat("0 12 * * *")
    assert due_between(timer, WED, WED + timedelta(days=1))[0].when == WED + timedelta(days=1)
    assert len(due_between(loop("2026-12-02T12:00:00Z 1 1"), WED, WED + timedelta(days=30))) == (
        1000
    )


def test_earliest_due_over_an_array() -> None:
    timers = [repeat("0 18 * * *"), once("2026-12-02T12:30:00Z"), once("x")]
    assert earliest_due(timers, WED) == WED.replace(minute=30)
    assert earliest_due([], WED) is None
    assert earliest_due(None, WED) is None


def test_disabled_copies_with_that_timer_off() -> None:
    timers = [once("2026-12-02T12:30:00Z"), repeat("0 18 * * *")]
    out = disabled(timers, "o")
    assert [t["enabled"] for t in out] == [0, 1]
    assert timers[0]["enabled"] == 1, "the original is left alone"


def test_clock_moves_forward_only() -> None:
    clock = SimClock(source=lambda: WED)
    clock.advance(90)
    assert clock.now() == WED + timedelta(seconds=90)
    clock.set(WED + timedelta(days=1))
    assert clock.to_json() == {"now": "2026-12-03T12:00:00.000Z", "offset_s": 86400.0}
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.set(WED)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(float("inf"))
    with pytest.raises(ValueError, match="end of the calendar"):
        clock.set(datetime(9999, 12, 1, tzinfo=UTC))
    clock.reset()
    assert clock.now() == WED
