"""Downsampling and retention: raw → 5-minute → hourly min/mean/max, then pruning.

Each step summarizes the whole buckets finished since its mark (`RollupMark`), one
INSERT … SELECT … GROUP BY per step, re-doing the last bucket before the mark (a sample can
arrive up to one flush late). The bucket expression is the only SQL that differs between
PostgreSQL and SQLite. Pruning deletes by time alone, which an index on `at` serves (BRIN on
PostgreSQL: a few kilobytes for millions of rows written in time order).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from readings.models import Rollup, RollupMark, Sample

FIVE, HOUR = Rollup.FIVE_MINUTES, Rollup.HOUR


def floor_time(moment: datetime, step: int) -> datetime:
    """The start of the `step`-second bucket holding `moment` (UTC)."""
    seconds = int(moment.timestamp()) // step * step
    return datetime.fromtimestamp(seconds, tz=UTC)


def bucket_sql(step: int) -> str:
    """SQL of the bucket start of column `at` (a literal step: it is ours, never input)."""
    step = int(step)
    if connection.vendor == "postgresql":
        return f"to_timestamp(floor(extract(epoch from at) / {step}) * {step})"
    # SQLite keeps datetimes as ISO text in UTC; give the bucket back in the same form.
    return (
        f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', "
        f"(CAST(strftime('%%s', at) AS INTEGER) / {step}) * {step}, 'unixepoch')"
    )


def retention() -> dict[str, timedelta]:
    """How long each resolution is kept (settings)."""
    return {
        "raw": timedelta(hours=settings.READINGS_RAW_HOURS),
        "five": timedelta(days=settings.READINGS_FIVE_MINUTE_DAYS),
        "hour": timedelta(days=settings.READINGS_HOURLY_DAYS),
    }


@dataclass
class RollupResult:
    five_minute_rows: int = 0
    hourly_rows: int = 0
    pruned: int = 0
    seconds: float = 0.0


def _db(moment: datetime) -> Any:
    return Sample._meta.get_field("at").get_db_prep_save(moment, connection)


def _summarize(step: int, since: datetime, until: datetime) -> int:
    """Upsert the `step` buckets in [since, until) from the next finer resolution."""
    quote = connection.ops.quote_name
    rollup = quote(Rollup._meta.db_table)
    bucket = bucket_sql(step)
    if step == FIVE:
        source = quote(Sample._meta.db_table)
        values = "MIN(value), AVG(value), MAX(value), COUNT(*)"
        where = "at >= %s AND at < %s"
    else:
        source = rollup
        values = "MIN(low), SUM(mean * count) / SUM(count), MAX(high), SUM(count)"
        where = f"step = {FIVE} AND at >= %s AND at < %s"
    # Only our own quoted names and integer steps go into the text; times are parameters.
    sql = (
        f"INSERT INTO {rollup} (thing_id, series, step, at, low, mean, high, count) "  # noqa: S608
        f"SELECT thing_id, series, {step}, {bucket}, {values} FROM {source} "
        f"WHERE {where} GROUP BY thing_id, series, {bucket} "
        "ON CONFLICT (thing_id, series, step, at) DO UPDATE SET low = excluded.low, "
        "mean = excluded.mean, high = excluded.high, count = excluded.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_db(since), _db(until)])
        return max(int(cursor.rowcount), 0)


def _roll_step(step: int, now: datetime, oldest: datetime) -> int:
    until = floor_time(now, step)
    mark = RollupMark.objects.filter(step=step).first()
    since = max(mark.until - timedelta(seconds=step), oldest) if mark else oldest
    since = floor_time(since, step)
    if since >= until:
        return 0
    rows = _summarize(step, since, until)
    RollupMark.objects.update_or_create(step=step, defaults={"until": until})
    return rows


def _prune(now: datetime) -> int:
    keep = retention()
    deleted = Sample.objects.filter(at__lt=now - keep["raw"]).delete()[0]
    deleted += Rollup.objects.filter(step=FIVE, at__lt=now - keep["five"]).delete()[0]
    deleted += Rollup.objects.filter(step=HOUR, at__lt=now - keep["hour"]).delete()[0]
    return deleted


def roll_up(now: datetime | None = None) -> RollupResult:
    """Summarize what finished since the last run, then delete what is past retention."""
    started = time.perf_counter()
    now = now or timezone.now()
    keep = retention()
    result = RollupResult()
    with transaction.atomic():
        result.five_minute_rows = _roll_step(FIVE, now, now - keep["raw"])
        result.hourly_rows = _roll_step(HOUR, now, now - keep["five"])
    with transaction.atomic():
        result.pruned = _prune(now)
    result.seconds = time.perf_counter() - started
    return result
