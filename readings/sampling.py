"""Raw samples from the live path: taken in memory, written in bulk with the state writes.

The realtime worker offers every thing whose state changed; a thing is sampled at most once
per READINGS_SAMPLE_SECONDS (all its chart series at once, so they share a timestamp), and
the samples wait in memory for the writer's next flush: one `executemany` INSERT, never one
statement per event, and never awaited by the event itself.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django_scopes import scopes_disabled

from devices.models import Thing
from devices.plugins.base import DevicePlugin
from readings.models import Sample

log = logging.getLogger(__name__)
SampleRow = tuple[int, str, datetime, float]
# Samples kept for a retry while the database is away; past this the oldest are dropped.
MAX_PENDING = 200_000


class Sampled(Protocol):
    pk: int
    plugin: DevicePlugin
    state: dict[str, Any]


def chart_keys(plugin: DevicePlugin, cache: dict[int, tuple[str, ...]]) -> tuple[str, ...]:
    """The plugin's chart series keys, asked once per plugin instance."""
    keys = cache.get(id(plugin))
    if keys is None:
        keys = cache[id(plugin)] = tuple(series.key for series in plugin.charts())
    return keys


def number(value: Any) -> float | None:
    """A finite number worth storing, else None (booleans and words are not readings)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


class Sampler:
    """Per-thing rate limit plus the samples waiting for the next flush."""

    def __init__(self, every: float | None = None) -> None:
        self.every = float(settings.READINGS_SAMPLE_SECONDS if every is None else every)
        self._last: dict[int, float] = {}
        self._keys: dict[int, tuple[str, ...]] = {}
        self.pending: list[SampleRow] = []
        self.taken = 0

    def offer(self, thing: Sampled, now: float | None = None) -> None:
        """Keep the thing's chart values if its last sample is old enough (cheap otherwise)."""
        keys = chart_keys(thing.plugin, self._keys)
        if not keys:
            return
        now = time.time() if now is None else now
        if now - self._last.get(thing.pk, -math.inf) < self.every:
            return
        at = datetime.fromtimestamp(now, tz=UTC)
        rows = [
            (thing.pk, key, at, value)
            for key in keys
            if (value := number(thing.state.get(key))) is not None
        ]
        if rows:
            self._last[thing.pk] = now
            self.pending.extend(rows)
            self.taken += len(rows)

    def take(self) -> list[SampleRow]:
        """The samples so far, handed over to a write."""
        rows, self.pending = self.pending, []
        return rows

    def give_back(self, rows: list[SampleRow]) -> None:
        """A write failed: keep the rows for the next one, within MAX_PENDING."""
        self.pending = (rows + self.pending)[-MAX_PENDING:]


def insert_sql() -> str:
    """One prepared INSERT for `executemany`; a repeated key is skipped (PostgreSQL, SQLite)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("thing_id", "series", "at", "value"))
    table = quote(Sample._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"  # noqa: S608


def write_samples(rows: Iterable[SampleRow]) -> int:
    """Insert the rows in one transaction; a thing deleted meanwhile loses only its rows."""
    at_field = Sample._meta.get_field("at")
    params = [
        [pk, key, at_field.get_db_prep_save(at, connection), value] for pk, key, at, value in rows
    ]
    if not params:
        return 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert_sql(), params)
    except IntegrityError:
        # A thing was deleted between its sample and the write: keep the others.
        live = set(_existing_things({row[0] for row in params}))
        params = [row for row in params if row[0] in live]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert_sql(), params)
    return len(params)


def _existing_things(pks: set[int]) -> list[int]:
    with scopes_disabled():
        return list(Thing.objects.filter(pk__in=pks).values_list("pk", flat=True))
