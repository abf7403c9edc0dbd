"""What the soak watches while it runs (divergence, sessions, RSS, queues, link status) and
the checks it judges at the end."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psutil
import psycopg
import redis.asyncio as aioredis

from bench.chaos.load import FINAL

if TYPE_CHECKING:
    from bench.chaos.load import Load
    from bench.chaos.stack import Stack

RECENT_S = 2.0  # a thing changed this recently may still be on its way to the pages
RECORDED = FINAL - {"rate_limited", "invalid", "not_allowed"}  # refused before any record


def cloud_view(devices: list[dict[str, Any]]) -> dict[str, tuple[bool, bool]]:
    """deviceid → (switch on, online) as cloudsim has it."""
    return {
        d["deviceid"]: ((d.get("params") or {}).get("switch") == "on", bool(d.get("online")))
        for d in devices
    }


def page_view(entry: dict[str, Any] | None) -> tuple[bool, bool] | None:
    if entry is None:
        return None
    return (bool((entry.get("state") or {}).get("switch")), bool(entry.get("online")))


@dataclass
class Sample:
    t: float
    divergent: int
    unheld: int
    unheld_keys: frozenset[str] = frozenset()  # apikeys of the accounts without a socket


@dataclass
class Monitor:
    stack: Stack
    load: Load
    appid: str
    apikeys: list[str]
    samples: list[Sample] = field(default_factory=list)
    rss: dict[tuple[str, int], list[tuple[float, float]]] = field(default_factory=dict)
    queue: list[tuple[float, int]] = field(default_factory=list)
    ever_relinked: set[int] = field(default_factory=set)  # accounts seen needing relink
    statuses: dict[int, str] = field(default_factory=dict)
    max_peak: int = 0
    excused: set[str] = field(default_factory=set)  # apikeys not expected to be held

    def recent_things(self, now: float) -> set[int]:
        recent = {thing for t, thing, _ in self.load.changes[-200:] if now - t < RECENT_S}
        recent |= {c.thing for c in list(self.load.controls.values())[-50:] if now - c.sent < 10}
        return recent

    async def divergence(self, now: float, strict: bool = False) -> tuple[int, int]:
        divergent, unheld_keys = await self.divergence_and_unheld(now, strict)
        return divergent, len(unheld_keys)

    async def divergence_and_unheld(
        self, now: float, strict: bool = False
    ) -> tuple[int, frozenset[str]]:
        cloud = cloud_view(await self.load.sim("GET", "/devices"))
        recent = set() if strict else self.recent_things(now)
        divergent = 0
        for pk, deviceid in self.load.things.items():
            if pk in recent:
                continue
            truth = cloud.get(deviceid)
            if any(page_view(p.state.get(pk)) != truth for p in self.load.pages):
                divergent += 1
        sessions = await self.load.sim("GET", "/sessions")
        self.max_peak = max(
            self.max_peak,
            max((apps.get(self.appid, 0) for apps in sessions["peak"].values()), default=0),
        )
        live = sessions["live"]
        unheld = frozenset(
            a for a in self.apikeys if a not in self.excused and not live.get(a, {}).get(self.appid)
        )
        return divergent, unheld

    async def run(self) -> None:
        tick = 0
        while True:
            now = time.monotonic()
            with contextlib.suppress(Exception):
                divergent, unheld = await self.divergence_and_unheld(now)
                self.samples.append(Sample(now, divergent, len(unheld), unheld))
            if tick % 5 == 0:
                await asyncio.to_thread(self._slow_samples, now)
                with contextlib.suppress(Exception):
                    redis = aioredis.Redis.from_url(self.stack.redis_url)
                    try:
                        self.queue.append((now, int(await redis.llen("celery"))))
                    finally:
                        await redis.aclose()
            tick += 1
            await asyncio.sleep(max(0.1, 1.0 - (time.monotonic() - now)))

    def _slow_samples(self, now: float) -> None:
        for role, pid in self.stack.pids().items():
            with contextlib.suppress(psutil.Error):
                rss = psutil.Process(pid).memory_info().rss / 2**20
                self.rss.setdefault((role, pid), []).append((now, rss))
        with contextlib.suppress(psycopg.Error):
            self.statuses = link_statuses(self.stack.db_url)
            self.ever_relinked |= {a for a, s in self.statuses.items() if s == "needs_relink"}

    def converged_after(self, at: float, until: float = float("inf")) -> float | None:
        """Seconds from `at` to the first sample with pages = cloud and every account held;
        None if that did not happen before `until` (the next fault)."""
        for s in self.samples:
            if s.t > until:
                return None
            if s.t >= at + 0.5 and s.divergent == 0 and s.unheld == 0:
                return s.t - at
        return None

    def held_after(self, at: float, hit_later: list[tuple[float, set[str]]]) -> float | None:
        """Seconds from a worker kill at `at` until every account is on a socket again,
        leaving out an account from the moment a later fault aimed at it (a dropped socket,
        refused handshakes, a 406): its reconnect backoff is that fault's, not the kill's."""
        for s in self.samples:
            if s.t < at + 0.5:
                continue
            excused: set[str] = set()
            for t, keys in hit_later:
                if at < t <= s.t:
                    excused |= keys
            if not s.unheld_keys - excused:
                return s.t - at
        return None


def link_statuses(db_url: str) -> dict[int, str]:
    with psycopg.connect(db_url, connect_timeout=3) as conn:
        rows = conn.execute("SELECT id, status FROM accounts_linkedaccount").fetchall()
    return {int(i): str(s) for i, s in rows}


def db_view(db_url: str) -> dict[int, tuple[bool, bool]]:
    with psycopg.connect(db_url, connect_timeout=3) as conn:
        rows = conn.execute(
            "SELECT id, params, online FROM devices_thing WHERE kind = 'device'"
        ).fetchall()
    return {
        int(pk): ((params or {}).get("switch") == "on", bool(online)) for pk, params, online in rows
    }


def command_records(db_url: str) -> int:
    with psycopg.connect(db_url, connect_timeout=3) as conn:
        return int(conn.execute("SELECT count(*) FROM realtime_commandrecord").fetchone()[0])


def rss_growth(
    rss: dict[tuple[str, int], list[tuple[float, float]]],
) -> list[tuple[str, float, float, bool]]:
    """Per process that lived long enough: median RSS of its 2nd quarter vs its last quarter.
    Growth is judged unbounded when the last quarter is > 1.5x and > 40 MiB above."""
    out = []
    for (role, _pid), points in rss.items():
        if len(points) < 8:
            continue
        n = len(points)
        early = statistics.median(r for _, r in points[n // 4 : n // 2])
        late = statistics.median(r for _, r in points[3 * n // 4 :])
        out.append((role, early, late, late > early * 1.5 and late - early > 40))
    return out


def queue_growth(queue: list[tuple[float, int]]) -> tuple[float, float, bool]:
    """Celery messages waiting, median of the run's 2nd quarter vs its last quarter; piling
    up when the last is > 1.5x and more than 20 messages above (beat's bursts come and go)."""
    if len(queue) < 8:
        return 0.0, 0.0, False
    n = len(queue)
    early = statistics.median(q for _, q in queue[n // 4 : n // 2])
    late = statistics.median(q for _, q in queue[3 * n // 4 :])
    return early, late, late > early * 1.5 and late - early > 20


def account_labels(db_url: str) -> dict[int, int]:
    """Account index in the soak (its label "bench <i>") → LinkedAccount id."""
    with psycopg.connect(db_url, connect_timeout=3) as conn:
        rows = conn.execute("SELECT id, label FROM accounts_linkedaccount").fetchall()
    return {int(label.split()[-1]): int(pk) for pk, label in rows}


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]
