"""The cloud's published call limits per client IP (notes §1.8), enforced when switched on."""

from __future__ import annotations

import time
from collections import deque

SPACING_S = 0.5
WINDOW_S = 300.0
WINDOW_CALLS = 300
# Repeated userOnline from one IP: more than this many handshakes a minute blocks the IP.
STORM_HANDSHAKES = 10
STORM_WINDOW_S = 60.0


class Etiquette:
    """Per-IP bookkeeping for the REST limits and the userOnline storm guard."""

    def __init__(self) -> None:
        self.last_call: dict[tuple[str, str], float] = {}
        self.calls: dict[str, deque[float]] = {}
        self.handshakes: dict[str, deque[float]] = {}
        self.app_calls: dict[tuple[str, str, str], int] = {}

    def allow_call(self, ip: str, interface: str) -> bool:
        """≥ 500 ms between calls to one interface and ≤ 300 calls per 5 minutes."""
        now = time.monotonic()
        last = self.last_call.get((ip, interface))
        self.last_call[(ip, interface)] = now
        recent = _window(self.calls, ip, now, WINDOW_S)
        recent.append(now)
        too_close = last is not None and now - last < SPACING_S
        return not too_close and len(recent) <= WINDOW_CALLS

    def allow_app_call(self, appid: str, region: str, quota: int) -> bool:
        """A free app's calls per region and calendar month (notes §1.8): over quota → 412."""
        key = (appid, region, time.strftime("%Y-%m", time.gmtime()))
        self.app_calls[key] = self.app_calls.get(key, 0) + 1
        return self.app_calls[key] <= quota

    def allow_handshake(self, ip: str) -> bool:
        now = time.monotonic()
        recent = _window(self.handshakes, ip, now, STORM_WINDOW_S)
        recent.append(now)
        return len(recent) <= STORM_HANDSHAKES

    def clear(self) -> None:
        self.last_call.clear()
        self.calls.clear()
        self.handshakes.clear()
        self.app_calls.clear()


def _window(book: dict[str, deque[float]], ip: str, now: float, span: float) -> deque[float]:
    recent = book.setdefault(ip, deque())
    while recent and now - recent[0] > span:
        recent.popleft()
    return recent
