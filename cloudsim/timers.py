"""Device timers as a device runs them: parse `at`, find the next due moment, what to apply.

Pure functions of a `timers` element (API document "Timer settings", notes §3.4); the
scheduler that calls them on the simulated clock lives in `timer_runner.py`.

* `once` (app types `once` and `delay`): `at` is an ISO UTC time; `do` is applied there once.
* `repeat`: `at` is "m h * * dow" in UTC; dow is `*` or a comma list of 0-6 (0 = Sunday,
  7 also Sunday) and ranges `a-b`; `do` is applied at every matching minute.
* `duration` (loop): `at` is "ISO m1 m2": from the start wait m1 minutes, apply `startDo`,
  wait m2 minutes, apply `endDo`, and so on forever.

A timer that is disabled or whose `at` does not parse never fires (the cloud stores the
array as sent; a real device would ignore what it cannot read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

WEEK_DAYS = frozenset(range(7))
CATCH_UP_LIMIT = 1000  # firings of one timer per catch-up; a year-long jump stays bounded
LOOP_MAX_MIN = 100_000  # about 69 days per step of a loop timer


class TimerFormatError(ValueError):
    """An `at` the device cannot read."""


@dataclass(frozen=True, slots=True)
class Due:
    """One firing: when, which timer (position and mId), the params to apply."""

    when: datetime
    index: int
    mid: str
    action: dict[str, Any]
    once: bool  # a once timer is disabled after it fires, as the eWeLink app shows it


def parse_iso(text: str) -> datetime:
    """`2017-07-24T08:28:00.000Z` (or any ISO form with an offset) as an aware UTC time."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TimerFormatError(f"not an ISO time: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # the document: times are GMT
    return when.astimezone(UTC)


def iso(when: datetime) -> str:
    """The cloud's time format: milliseconds and `Z`."""
    when = when.astimezone(UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z"


def parse_repeat(at: str) -> tuple[int, int, frozenset[int]]:
    """ "m h * * dow" → (minute, hour, cron weekdays with 0 = Sunday)."""
    parts = at.split()
    if len(parts) != 5 or parts[2] != "*" or parts[3] != "*":
        raise TimerFormatError(f"repeat at must be 'm h * * dow': {at!r}")
    minute, hour = _int_in(parts[0], 0, 59), _int_in(parts[1], 0, 23)
    return minute, hour, parse_weekdays(parts[4])


def parse_weekdays(text: str) -> frozenset[int]:
    if text == "*":
        return WEEK_DAYS
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        lo = _int_in(first, 0, 7)
        hi = _int_in(last, 0, 7) if last else lo
        if hi < lo:
            raise TimerFormatError(f"bad weekday range {part!r}")
        days.update(day % 7 for day in range(lo, hi + 1))
    return frozenset(days)


def parse_loop(at: str) -> tuple[datetime, int, int]:
    """ "ISO m1 m2" → (start, minutes to startDo, minutes from startDo to endDo)."""
    parts = at.split()
    if len(parts) != 3:
        raise TimerFormatError(f"loop at must be 'ISO m1 m2': {at!r}")
    start = parse_iso(parts[0])
    return start, _int_in(parts[1], 1, LOOP_MAX_MIN), _int_in(parts[2], 1, LOOP_MAX_MIN)


def _int_in(text: str, lo: int, hi: int) -> int:
    if not (text.isascii() and text.isdigit()) or not lo <= int(text) <= hi:
        raise TimerFormatError(f"{text!r} is not a number in {lo}..{hi}")
    return int(text)


def cron_weekday(when: datetime) -> int:
    """0 = Sunday, as cron counts (Python's weekday() has 0 = Monday)."""
    return (when.weekday() + 1) % 7


def next_due(timer: dict[str, Any], after: datetime, index: int = 0) -> Due | None:
    """The timer's first firing strictly after `after`; None if it never fires again."""
    if not isinstance(timer, dict) or timer.get("enabled") != 1:
        return None
    at, kind = timer.get("at"), timer.get("type")
    if not isinstance(at, str):
        return None
    mid = str(timer.get("mId", ""))
    try:
        if kind == "once":
            when = parse_iso(at)
            if when <= after or not isinstance(timer.get("do"), dict):
                return None
            return Due(when, index, mid, timer["do"], once=True)
        if kind == "repeat":
            return _next_repeat(timer, after, index, mid, parse_repeat(at))
        if kind == "duration":
            return _next_loop(timer, after, index, mid, parse_loop(at))
    except TimerFormatError:
        return None
    return None


def _next_repeat(
    timer: dict[str, Any],
    after: datetime,
    index: int,
    mid: str,
    rule: tuple[int, int, frozenset[int]],
) -> Due | None:
    minute, hour, days = rule
    if not days or not isinstance(timer.get("do"), dict):
        return None
    day = after.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    for offset in range(8):  # today's moment may have passed; a week later it comes back
        when = day + timedelta(days=offset)
        if when > after and cron_weekday(when) in days:
            return Due(when, index, mid, timer["do"], once=False)
    return None


def _next_loop(
    timer: dict[str, Any],
    after: datetime,
    index: int,
    mid: str,
    rule: tuple[datetime, int, int],
) -> Due | None:
    start, to_start, to_end = rule
    start_do, end_do = timer.get("startDo"), timer.get("endDo")
    if not isinstance(start_do, dict) or not isinstance(end_do, dict):
        return None
    period = timedelta(minutes=to_start + to_end)
    first_start = start + timedelta(minutes=to_start)
    next_start = _next_in_series(first_start, period, after)
    next_end = _next_in_series(first_start + timedelta(minutes=to_end), period, after)
    if next_start < next_end:
        return Due(next_start, index, mid, start_do, once=False)
    return Due(next_end, index, mid, end_do, once=False)


def _next_in_series(first: datetime, period: timedelta, after: datetime) -> datetime:
    """The first of `first + k * period` (k ≥ 0) strictly after `after`."""
    if after < first:
        return first
    return first + ((after - first) // period + 1) * period


def due_between(
    timer: dict[str, Any],
    after: datetime,
    until: datetime,
    index: int = 0,
    limit: int = CATCH_UP_LIMIT,
) -> list[Due]:
    """Every firing in (after, until], in time order, each due moment once."""
    found: list[Due] = []
    due = next_due(timer, after, index)
    while due is not None and due.when <= until and len(found) < limit:
        found.append(due)
        due = next_due(timer, due.when, index)
    return found


def earliest_due(timers: Any, after: datetime) -> datetime | None:
    """When the first of a `timers` array fires next (the scheduler's index key)."""
    if not isinstance(timers, list):
        return None
    moments = [due.when for i, t in enumerate(timers) if (due := next_due(t, after, i))]
    return min(moments, default=None)


def disabled(timers: list[Any], mid: str) -> list[Any]:
    """A copy of the array with that timer set to `enabled: 0` (a once timer that fired)."""
    return [
        t | {"enabled": 0} if isinstance(t, dict) and t.get("mId") == mid else t for t in timers
    ]
