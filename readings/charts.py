"""Chart data: a thing's series over a time range, at the resolution the range calls for.

A range picks the finest resolution still kept for its start whose points stay few enough
to draw (≤ ~2,000 per series): raw for up to 12 h, 5-minute for up to 8 days, hourly beyond.
Roll-ups lag by up to a step; their tail is summarized from raw samples here, so a chart
always reaches now. The answer is compact JSON: one shared time axis (epoch seconds) and,
per series, its values (and min/max at the coarser resolutions), with nulls for gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import BigIntegerField, Func

from devices.models import Thing
from devices.plugins.base import ChartSeries
from readings.models import Rollup, Sample
from readings.rollup import floor_time, retention

RANGES = {
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}
RANGE_LABELS = {"6h": "6 h", "24h": "24 h", "7d": "7 d", "30d": "30 d", "1y": "1 y"}
RAW_UP_TO = timedelta(hours=12)
FIVE_UP_TO = timedelta(days=8)
MAX_SPAN = timedelta(days=800)


class BadRange(ValueError):
    """A range the chart cannot draw; the message says why."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    step: int  # 0 for raw samples


def window(name: str, now: datetime, start: str = "", end: str = "") -> Window:
    """The window of a named range, or of a custom one ("custom" with ISO dates/times)."""
    if name == "custom":
        low, high = _moment(start, "start"), _moment(end, "end")
        if high <= low:
            raise BadRange("The end must come after the start.")
        if high - low > MAX_SPAN:
            raise BadRange("Pick at most two years.")
        high = min(high, now)
    elif name in RANGES:
        low, high = now - RANGES[name], now
    else:
        raise BadRange(f"Unknown range {name!r}.")
    return Window(low, high, resolution(low, high - low, now))


def _moment(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRange(f"The {what} must be a date or date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def resolution(start: datetime, span: timedelta, now: datetime) -> int:
    """0 (raw), 300 or 3600: the finest kept since `start` with few enough points."""
    keep = retention()
    if span <= RAW_UP_TO and start >= now - keep["raw"]:
        return 0
    if span <= FIVE_UP_TO and start >= now - keep["five"]:
        return Rollup.FIVE_MINUTES
    return Rollup.HOUR


Point = tuple[float, float, float]  # mean, low, high


class Epoch(Func):
    """A datetime column as whole seconds since 1970 (no datetime objects for thousands of
    rows: the chart wants numbers)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS bigint)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # %%%% → %% here, → % in the cursor: strftime's own "%s" (seconds).
        template = "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _raw(thing: Thing, keys: list[str], start: datetime, end: datetime) -> list[Any]:
    return list(
        Sample.objects.filter(thing=thing, series__in=keys, at__gte=start, at__lte=end)
        .order_by()
        .values_list("series", Epoch("at"), "value")
    )


def points(thing: Thing, keys: list[str], win: Window) -> dict[str, dict[int, Point]]:
    """series → bucket start (epoch s) → (mean, low, high), the not yet rolled-up tail in.

    The hourly level lags by up to an hour and the 5-minute one by up to five minutes: what
    lies after a level's last bucket comes from the next finer one (5-minute, then raw), a
    few dozen rows, summarized here into the window's buckets.
    """
    found: dict[str, dict[int, Point]] = defaultdict(dict)
    if win.step == 0:
        for key, at, value in _raw(thing, keys, win.start, win.end):
            found[key][at] = (value, value, value)
        return found
    step = win.step
    covered = floor_time(win.start, step)
    tail: dict[tuple[str, int], list[tuple[float, float, float, int]]] = defaultdict(list)
    for level in (lv for lv in (Rollup.HOUR, Rollup.FIVE_MINUTES) if lv <= step):
        rows = (
            Rollup.objects.filter(thing=thing, series__in=keys, step=level, at__gte=covered)
            .filter(at__lte=win.end)
            .order_by()
            .values_list("series", Epoch("at"), "mean", "low", "high", "count")
        )
        reached = int(covered.timestamp())
        for key, at, mean, low, high, count in rows:
            if level == step:
                found[key][at] = (mean, low, high)
            else:
                tail[key, at // step * step].append((mean, low, high, count))
            reached = max(reached, at + level)
        covered = datetime.fromtimestamp(reached, tz=UTC)
    for key, at, value in _raw(thing, keys, covered, win.end):
        tail[key, at // step * step].append((value, value, value, 1))
    for (key, bucket), parts in tail.items():
        count = sum(p[3] for p in parts) or 1
        mean = sum(p[0] * p[3] for p in parts) / count
        found[key].setdefault(bucket, (mean, min(p[1] for p in parts), max(p[2] for p in parts)))
    return found


def chart_json(thing: Thing, series: list[ChartSeries], win: Window) -> dict[str, Any]:
    """The compact answer of the chart endpoint."""
    keys = [s.key for s in series]
    found = points(thing, keys, win)
    times = sorted({at for per in found.values() for at in per})
    data: dict[str, dict[str, list[float | None]]] = {}
    for key in keys:
        per = found.get(key, {})
        values = [per.get(at) for at in times]
        data[key] = {"avg": [round(v[0], 3) if v else None for v in values]}
        if win.step:
            data[key]["min"] = [v[1] if v else None for v in values]
            data[key]["max"] = [v[2] if v else None for v in values]
    return {
        "start": int(win.start.timestamp()),
        "end": int(win.end.timestamp()),
        "step": win.step,
        "series": [{"key": s.key, "label": s.label, "unit": s.unit} for s in series],
        "t": times,
        "data": data,
    }


def chart_groups(series: list[ChartSeries]) -> list[tuple[str, list[ChartSeries]]]:
    """Series grouped by unit: one chart each, its series sharing one axis."""
    groups: dict[str, list[ChartSeries]] = {}
    for s in series:
        groups.setdefault(s.unit, []).append(s)
    return list(groups.items())
