"""What `bench/live_latency.py` computes from what it recorded: percentiles, a window's
result, and how page frames count (batch frames, merged states)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


# -- processes ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    label: str
    rate: float
    seconds: float
    sent: int
    achieved: float
    expected: int
    latencies: list[float]
    delivered: int  # matched frames, all listeners
    lost: int  # (event, listener) pairs never delivered (and no newer state either)
    lost_events: int  # events missing on at least one listener
    listeners: int
    unchanged: int  # cloud events that left the visible state as it was (not expected)
    negative: int
    usage: dict[str, tuple[float, float]]
    tapped: list[float] = field(default_factory=list)  # cloud → group message seen in Redis
    drain_s: float = 0.0  # how long frames kept coming after the grace period
    # (event, listener) pairs the page's socket merged away: a newer state of the same thing
    # reached that listener instead (a page that was behind gets only the newest state).
    merged: int = 0

    def p(self, q: float) -> float | None:
        return pct(self.latencies, q)


def scaled_key(value: Any, scale: float) -> int | None:
    try:
        return round(float(value) * scale)
    except (TypeError, ValueError):
        return None


def things_or_merged(text: str) -> int:
    """Thing states a page frame accounts for: those it carries and those it merged."""
    head = text[:20]
    if '"batch"' in head:
        found = re.search(r'"merged": (\d+)', text)
        return text.count('"type": "thing"') + (int(found.group(1)) if found else 0)
    return 1 if '"thing"' in head else 0
