"""Cloud etiquette: pace REST calls per interface and per 5-minute window (notes §1.8).

One governor is shared by every client of a process because all linked accounts leave
through the same egress IP, and the cloud counts per IP.

Calls that name their account (``acquire(interface, key)``; the client passes its apikey)
share that budget fairly: an account books a slot only when it is free now and the account
is the one served least recently among those waiting for that interface, so one account's
burst queues behind everyone else instead of in front of them; and no account may use more
than ``key_window_limit`` of the window's calls. Calls without a key queue first come,
first served, as slots booked ahead.
"""

from __future__ import annotations

import asyncio
import bisect
import time
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ewelink.telemetry import report_paced, report_refused

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# The cloud asks for >= 500 ms between calls to one interface; it measures on arrival, so
# network jitter can shrink our gap: keep a 50 ms margin.
MIN_INTERVAL = 0.55
WINDOW = 300.0  # seconds of the burst window
WINDOW_LIMIT = 300  # calls allowed in one window
KEY_WINDOW_LIMIT = 100  # calls one account may make in one window (a third of the budget)
# A waiting account this late to ask again has given up (its turn passes to the next).
WAITER_GRACE = 1.0
# A slot this close is "now": clocks of processes and sleeps are not exact.
NOW_TOLERANCE = 0.01


@dataclass
class GovernorStats:
    """Counters for an admin page: calls and waits per interface."""

    calls: Counter[str] = field(default_factory=Counter)
    waits: Counter[str] = field(default_factory=Counter)
    waited_seconds: float = 0.0
    calls_in_window: int = 0

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON or a template."""
        return {
            "calls": dict(self.calls),
            "waits": dict(self.waits),
            "waited_seconds": round(self.waited_seconds, 3),
            "calls_in_window": self.calls_in_window,
        }


class Governor:
    """Hands out call slots; callers sleep until their slot, so bursts queue instead of failing."""

    def __init__(
        self,
        *,
        min_interval: float = MIN_INTERVAL,
        window: float = WINDOW,
        window_limit: int = WINDOW_LIMIT,
        key_window_limit: int = KEY_WINDOW_LIMIT,
        enabled: bool = True,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.min_interval = min_interval
        self.window = window
        self.window_limit = window_limit
        self.key_window_limit = key_window_limit
        self.enabled = enabled
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._slots: list[float] = []  # sorted reserved call times inside the window
        self._key_slots: dict[str, list[float]] = {}  # the same, per account
        self._waiting: dict[str, dict[str, float]] = {}  # interface → account → due back
        self._served: dict[tuple[str, str], float] = {}  # (interface, account) → last slot
        # One claimer per account and interface in this process; its other calls queue here.
        self._turns: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Lock]
        ] = weakref.WeakKeyDictionary()
        self._stats = GovernorStats()

    def scale(self, factor: float) -> None:
        """Shrink (tests) or stretch the spacing; 0 keeps counting but never waits."""
        self.min_interval = MIN_INTERVAL * factor
        self.window = WINDOW * factor

    def reserve(self, interface: str) -> float:
        """Book the next slot for ``interface``; returns how long the caller must wait."""
        now = self._clock()
        self._stats.calls[interface] += 1
        if not self.enabled:
            report_paced(interface, 0.0)
            return 0.0
        start = max(now, self._last.get(interface, float("-inf")) + self.min_interval)
        del self._slots[: bisect.bisect_right(self._slots, now - self.window)]
        if self.window_limit > 0 and len(self._slots) >= self.window_limit:
            # Wait until the oldest call that still counts leaves the window.
            start = max(start, self._slots[-self.window_limit] + self.window)
        self._last[interface] = start
        bisect.insort(self._slots, start)
        delay = start - now
        if delay > 0:
            self._stats.waits[interface] += 1
            self._stats.waited_seconds += delay
        report_paced(interface, max(delay, 0.0))
        return max(delay, 0.0)

    async def acquire(self, interface: str, key: str | None = None) -> None:
        """Wait for a slot to call ``interface`` (a path such as ``"/v2/device/thing"``).

        ``key`` names the account calling, for a fair share of the budget between accounts.
        """
        if key is None or not self.enabled:
            delay = self.reserve(interface)
            if delay > 0:
                await self._sleep(delay)
            return
        turns = self._turns.setdefault(asyncio.get_running_loop(), {})
        started = self._clock()
        async with turns.setdefault((interface, key), asyncio.Lock()):
            while True:
                granted, delay = await self.claim(interface, key)
                if granted:
                    break
                await self._sleep(delay)
        self.count(interface, self._clock() - started + delay)
        if delay > 0:
            await self._sleep(delay)

    async def claim(self, interface: str, key: str) -> tuple[bool, float]:
        """Book a slot for ``key`` if one is free now and it is ``key``'s turn.

        Returns (True, delay before the slot), or (False, seconds to wait before asking again).
        """
        now = self._clock()
        del self._slots[: bisect.bisect_right(self._slots, now - self.window)]
        mine = self._key_slots.setdefault(key, [])
        del mine[: bisect.bisect_right(mine, now - self.window)]
        if self.key_window_limit > 0 and len(mine) >= self.key_window_limit:
            # This account has had its share: it waits, without holding up anyone else.
            report_refused(interface)
            return False, mine[-self.key_window_limit] + self.window - now
        start = max(now, self._last.get(interface, float("-inf")) + self.min_interval)
        if self.window_limit > 0 and len(self._slots) >= self.window_limit:
            start = max(start, self._slots[-self.window_limit] + self.window)
        waiting = self._waiting.setdefault(interface, {})
        for other, due in list(waiting.items()):
            if due < now - WAITER_GRACE:
                del waiting[other]  # gave up
        mine_rank = (self._served.get((interface, key), 0.0), key)
        ahead = sum(
            1
            for other in waiting
            if other != key and (self._served.get((interface, other), 0.0), other) < mine_rank
        )
        if start - now <= NOW_TOLERANCE and ahead == 0:
            self._last[interface] = start
            bisect.insort(self._slots, start)
            bisect.insort(mine, start)
            self._served[interface, key] = start
            waiting.pop(key, None)
            return True, max(start - now, 0.0)
        # Come back when the accounts ahead have had their slots (not at every slot).
        retry = max(start - now, 0.0) + ahead * self.min_interval
        waiting[key] = now + retry
        return False, max(retry, NOW_TOLERANCE)

    def count(self, interface: str, waited: float) -> None:
        """Count a granted call and how long it waited, for ``stats()``."""
        self._stats.calls[interface] += 1
        if waited > 0.001:  # not the microseconds of an uncontended claim
            self._stats.waits[interface] += 1
            self._stats.waited_seconds += waited
        report_paced(interface, waited if waited > 0.001 else 0.0)

    def stats(self) -> GovernorStats:
        """A snapshot of the counters."""
        now = self._clock()
        in_window = len(self._slots) - bisect.bisect_right(self._slots, now - self.window)
        return GovernorStats(
            calls=Counter(self._stats.calls),
            waits=Counter(self._stats.waits),
            waited_seconds=self._stats.waited_seconds,
            calls_in_window=in_window,
        )


class Pacer:
    """Keeps at least ``interval`` seconds between sends (websocket commands per account)."""

    def __init__(
        self, interval: float, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self.waits = 0

    async def wait(self) -> None:
        """Sleep until the next send is allowed and book it."""
        now = self._clock()
        start = max(now, self._next)
        self._next = start + self.interval
        if start > now:
            self.waits += 1
            await self._sleep(start - now)


_default: Governor | None = None


def default_governor() -> Governor:
    """The process-wide governor every client uses unless given another one."""
    global _default
    if _default is None:
        _default = Governor()
    return _default


def set_default_governor(governor: Governor) -> None:
    """Replace the process-wide governor (tests, or a host with its own settings)."""
    global _default
    _default = governor
