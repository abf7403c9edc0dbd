"""Jittered exponential backoff for reconnects and retries (notes §2.8)."""

from __future__ import annotations

import random
from collections.abc import Callable

RandomSource = Callable[[], float]  # returns a float in [0, 1)


class Backoff:
    """Delay n (0-based) is uniform in [low·2ⁿ, high·2ⁿ], both capped at ``cap``.

    With the defaults the first reconnect waits 1-15 s and the delay reaches the 5-minute cap
    after a handful of failures; ``reset()`` is called only after a connection proved good.
    """

    def __init__(
        self,
        *,
        low: float = 1.0,
        high: float = 15.0,
        cap: float = 300.0,
        rand: RandomSource = random.random,
    ) -> None:
        if not 0 <= low <= high:
            raise ValueError("backoff needs 0 <= low <= high")
        self.low = low
        self.high = high
        self.cap = cap
        self._rand = rand
        self.failures = 0

    def peek_range(self) -> tuple[float, float]:
        """The interval the next delay will be drawn from."""
        factor = 2.0 ** min(self.failures, 30)
        return min(self.low * factor, self.cap), min(self.high * factor, self.cap)

    def next_delay(self) -> float:
        """Count one failure and return how long to wait before the next attempt."""
        low, high = self.peek_range()
        self.failures += 1
        return low + (high - low) * self._rand()

    def fresh(self) -> Backoff:
        """A copy with the same bounds and random source and no failures."""
        return Backoff(low=self.low, high=self.high, cap=self.cap, rand=self._rand)

    def reset(self) -> None:
        """Forget failures after a good connection."""
        self.failures = 0
