"""What `bench/live_latency.py` computes from what it recorded: percentiles, how an event is
recognised in cloud and page frames, and a window's result (batch frames, merged states)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# What a load event changes, per device type: (cloud param, page state key, to an int key).
# 1770 (Zigbee TH): `temperature` = str(n % 6000), shown x0.01; no uiActive, so the cloud
# sends exactly the load. 32 (POW R2): `power` = n/10; a watched meter also gets uiActive
# from the worker and then reports live readings every 2 s (extra, bursty events).
DEVICE_TYPES = {
    1770: ("temperature", "temperature", 1.0, 100.0),
    32: ("power", "power", 10.0, 10.0),
}


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@dataclass
class Recorder:
    """Raw frames with their receipt time, per source; parsed after the window."""

    cloud: list[tuple[float, str]] = field(default_factory=list)
    # kind ("ours" / "relay") → one list of frames per listener
    pages: dict[str, list[list[tuple[float, str]]]] = field(default_factory=dict)
    tap: list[tuple[float, bytes]] = field(default_factory=list)  # group messages in Redis
    recording: bool = False
    frames: int = 0  # every page/relay frame received, recording or not: tells when it drained

    def reset(self, listeners: dict[str, int]) -> None:
        self.cloud = []
        self.pages = {kind: [[] for _ in range(n)] for kind, n in listeners.items()}
        self.tap = []


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


@dataclass
class Matcher:
    """(deviceid, value) of a load event, as read from a cloud frame and from a page frame."""

    param: str  # what the cloud frame carries
    state_key: str  # what our page's `thing` frame carries
    cloud_scale: float
    page_scale: float
    thing_device: dict[int, str] = field(default_factory=dict)  # from the bootstrap
    # deviceid → last value pushed (cloud side): an event that repeats it changes nothing
    last_key: dict[str, int | None] = field(default_factory=dict)
    marker: str = field(init=False)  # a cheap substring test before parsing a frame

    def __post_init__(self) -> None:
        self.marker = f'"{self.param}"'

    @classmethod
    def for_uiid(cls, uiid: int) -> Matcher:
        return cls(*DEVICE_TYPES[uiid])

    def start_from(self, params: dict[str, dict[str, Any]]) -> None:
        """Each device's value before the first load (deviceid → its params when created)."""
        for deviceid, device_params in params.items():
            self.last_key[deviceid] = scaled_key(device_params.get(self.param), self.cloud_scale)

    def cloud_events(
        self, cloud: list[tuple[float, str]]
    ) -> tuple[dict[tuple[str, int], float], int]:
        """(deviceid, n) → when the cloud pushed it; and how many did not change the state."""
        events: dict[tuple[str, int], float] = {}
        unchanged = 0
        for t, text in cloud:
            if self.marker not in text:
                continue
            frame = json.loads(text)
            params = frame.get("params") or {}
            if frame.get("action") != "update" or self.param not in params:
                continue
            deviceid, n = frame["deviceid"], scaled_key(params[self.param], self.cloud_scale)
            if n is None:
                continue
            if self.last_key.get(deviceid) == n:
                unchanged += 1  # same value as before: the page rightly gets nothing
                continue
            self.last_key[deviceid] = n
            events.setdefault((deviceid, n), t)
        return events, unchanged

    def page_keys(self, kind: str, frames: list[tuple[float, str]]) -> dict[tuple[str, int], float]:
        out: dict[tuple[str, int], float] = {}
        for t, text in frames:
            if kind == "ours":
                head = text[:20]
                if '"thing"' not in head and '"batch"' not in head:
                    continue
                frame = json.loads(text)
                inner = frame.get("frames") if frame.get("type") == "batch" else [frame]
                for one in inner or ():
                    if one.get("type") != "thing":
                        continue
                    deviceid = self.thing_device.get(one.get("id"))
                    state = one.get("state") or {}
                    n = scaled_key(state.get(self.state_key), self.page_scale)
                    if deviceid is not None and n is not None:
                        out.setdefault((deviceid, n), t)
                continue
            if self.marker not in text:
                continue
            frame = json.loads(text)
            deviceid = frame.get("deviceid")
            n = scaled_key((frame.get("params") or {}).get(self.param), self.cloud_scale)
            if deviceid is not None and n is not None:
                out.setdefault((deviceid, n), t)
        return out

    def all_delivered(self, rec: Recorder, kind: str) -> bool:
        """Cheap check used while waiting for late frames: counts only."""
        pushed = sum(1 for _, text in rec.cloud if self.marker in text)
        pages = rec.pages.get(kind, [])
        if kind == "ours":
            got = [sum(things_or_merged(t) for _, t in page) for page in pages]
        else:
            got = [sum(1 for _, t in page if self.marker in t) for page in pages]
        return bool(got) and min(got) >= pushed

    def tapped(self, rec: Recorder, events: dict[tuple[str, int], float]) -> list[float]:
        """Cloud push → the worker's group message seen in Redis, ms, per matched event."""
        import msgpack  # Channels' wire format; only needed when the tap recorded something

        out = []
        for t, data in rec.tap:
            payload: dict[str, Any] = msgpack.unpackb(data).get("payload") or {}
            if payload.get("type") != "thing":
                continue
            deviceid = self.thing_device.get(payload.get("id"))  # type: ignore[arg-type]
            n = scaled_key((payload.get("state") or {}).get(self.state_key), self.page_scale)
            if deviceid is not None and n is not None and (deviceid, n) in events:
                out.append(max(0.0, (t - events[deviceid, n]) * 1000))
        return out


def analyse(
    match: Matcher,
    rec: Recorder,
    label: str,
    rate: float,
    window: float,
    status: dict[str, Any],
    listeners: int,
    kind: str,
    usage: dict[str, tuple[float, float]],
    events: dict[tuple[str, int], float],
    unchanged: int,
) -> RunResult:
    """One window's result for one listening stack (`kind`: "ours" or "relay")."""
    latencies: list[float] = []
    delivered = lost = negative = merged = 0
    missing_any: set[tuple[str, int]] = set()
    for frames in rec.pages.get(kind, []):
        got = match.page_keys(kind, frames)
        newest: dict[str, float] = {}  # device → cloud time of its newest state received
        for (deviceid, n), t_cloud in events.items():
            if (deviceid, n) in got:
                newest[deviceid] = max(newest.get(deviceid, 0.0), t_cloud)
        for key, t_cloud in events.items():
            t_page = got.get(key)
            if t_page is None:
                # Only our page socket merges; the bare relay sends every frame it gets.
                if kind == "ours" and t_cloud < newest.get(key[0], 0.0):
                    merged += 1  # a newer state of the thing reached this listener
                    continue
                lost += 1
                missing_any.add(key)
                continue
            delivered += 1
            ms = (t_page - t_cloud) * 1000
            if ms < 0:
                negative += 1
            latencies.append(max(ms, 0.0))
    return RunResult(
        tapped=match.tapped(rec, events) if kind == "ours" and rec.tap else [],
        label=label,
        rate=rate,
        seconds=window,
        sent=int(status.get("sent", 0)),
        achieved=float(status.get("achieved_rate", 0)),
        expected=len(events),
        latencies=latencies,
        delivered=delivered,
        lost=lost,
        lost_events=len(missing_any),
        listeners=listeners,
        unchanged=unchanged,
        negative=negative,
        usage=usage,
        merged=merged,
    )
