"""The cloud's clock: real UTC plus an offset tests move forward (`/_sim/clock`).

Only device timers are judged on it; tokens, heartbeats and history keep real time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .timers import iso

CALENDAR_MARGIN_DAYS = 800


def real_utc() -> datetime:
    return datetime.now(UTC)


class SimClock:
    def __init__(self, source: Callable[[], datetime] = real_utc) -> None:
        self.source = source
        self.offset_s = 0.0

    def now(self) -> datetime:
        return self.source() + timedelta(seconds=self.offset_s)

    def advance(self, seconds: float) -> None:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward: advance_s must not be negative")
        self._check_reachable(self.offset_s + seconds)
        self.offset_s += seconds

    def set(self, when: datetime) -> None:
        ahead = (when - self.now()).total_seconds()
        if ahead < 0:
            raise ValueError("the clock only moves forward: set is in the past")
        self._check_reachable(self.offset_s + ahead)
        self.offset_s += ahead

    def _check_reachable(self, offset_s: float) -> None:
        """Timers look up to a loop period (< 2 years) past now; the calendar ends in 9999."""
        try:
            self.source() + timedelta(seconds=offset_s, days=CALENDAR_MARGIN_DAYS)
        except OverflowError:
            raise ValueError("that is too close to the end of the calendar") from None

    def reset(self) -> None:
        self.offset_s = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"now": iso(self.now()), "offset_s": self.offset_s}
