"""Benchmark (issue 13, readings): 200 meters at one reading every 10 s for 30 days.

The rows are generated in bulk inside PostgreSQL (generate_series), in time order as the
live path writes them (all things interleaved), straight into the tables at the resolutions
retention leaves them: raw samples for the last READINGS_RAW_HOURS,
5-minute roll-ups for READINGS_FIVE_MINUTE_DAYS, hourly for the 30 days. On top of that the
work one roll-up run finds in steady state: the last five minutes not yet summarized, and
one job interval of rows just past retention at each resolution. It prints:

* the 30-day chart endpoint (`dashboard:thing_readings`, range=30d) through the whole Django
  stack, signed in: p50/p95 server time over `--requests` requests on random meters after
  `--warmup`, with response bytes and SQL queries (and the 24 h and 7 d ranges beside it);
* the readings tables' size on disk (heap + indexes + TOAST) and bytes per thing per day at
  each resolution, and what one thing costs at full retention (48 h raw + 30 d 5-minute +
  2 years hourly, extrapolated from the measured hourly row size);
* the roll-up and pruning job's duration (`readings.rollup.roll_up`) on that steady state,
  and a second, idle run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/readings.py

PostgreSQL only (the generation is server-side SQL); the benchmark creates
`bench_readings_<pid>` beside the given database and drops it at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OWNER_PASSWORD = "bench-owner-Pa55word!"  # noqa: S105 - a throwaway local user
TARGET_P95_MS = 150.0


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A PostgreSQL database of the benchmark's own, dropped at the end."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/readings.py needs DATABASE_URL=postgres://…")
    import psycopg
    from psycopg import sql

    parts = urlsplit(base)
    name = f"bench_readings_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))

    def admin(statement: sql.Composable) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    admin(drop)
    admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin(drop)


def setup_django(database_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DATABASE_URL": database_url,
            "CHANNELS_PREFIX": f"benchreadings{uuid.uuid4().hex[:8]}",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def make_household(things: int) -> tuple[Any, list[int]]:
    """A signed-up owner with one linked account of `things` POW meters (UIID 5: power)."""
    from django_scopes import scopes_disabled

    from accounts.models import LinkedAccount, LinkMethod
    from accounts.services import sign_up
    from devices.models import Thing

    user, household = sign_up("owner@bench.example.com", OWNER_PASSWORD, "200 meters")
    with scopes_disabled():
        account = LinkedAccount.objects.create(
            household=household, label="Bench", identifier="bench@example.com",
            country_code="+44", region="eu", apikey="bench-apikey", method=LinkMethod.PASSWORD,
            access_token="at-bench", refresh_token="rt-bench",  # noqa: S106 - throwaway
        )  # fmt: skip
        Thing.objects.bulk_create(
            Thing(
                household=household,
                account=account,
                cloud_id=f"10{n:08d}",
                item_type=1,
                name=f"Meter {n}",
                uiid=5,
                online=True,
                params={"switch": "on", "power": "12.50"},
            )
            for n in range(things)
        )
        ids = list(Thing.objects.filter(household=household).values_list("pk", flat=True))
    return user, ids


def fill(ids: list[int], every: int, job_minutes: int) -> dict[str, float]:
    """Generate every table's rows in PostgreSQL; returns seconds per table."""
    from django.conf import settings
    from django.db import connection

    raw_h, five_d = settings.READINGS_RAW_HOURS, settings.READINGS_FIVE_MINUTE_DAYS
    lo, hi = min(ids), max(ids)
    spent: dict[str, float] = {}
    # A daily curve plus noise, per thing: plausible values, so the float columns are real.
    value = (
        "round((100 + 80 * sin(extract(epoch from ts) / 13751.0 + t) + random() * 20)::numeric, 2)"
    )
    # Only integers of our own and fixed text go into the SQL below.
    statements = {
        # Raw: the retention window plus one job interval past it (the pruning's work).
        "raw": f"""
            INSERT INTO readings_sample (thing_id, series, at, value)
            SELECT t, 'power', ts, {value}
            FROM generate_series(date_trunc('second', now()) - interval '{raw_h} hours'
                                   - interval '{job_minutes} minutes',
                                 now(), interval '{every} seconds') ts,
                 generate_series({lo}, {hi}) t
            ORDER BY ts, t""",  # noqa: S608
        # 5-minute: 30 days (+ one interval past), up to the last finished bucket but one
        # (the job's work: the bucket that finished since its last run).
        "five_minute": f"""
            INSERT INTO readings_rollup (thing_id, series, step, at, low, mean, high, count)
            SELECT t, 'power', 300, ts, v - 15, v, v + 15, {300 // every}
            FROM generate_series(to_timestamp(floor(extract(epoch from now()) / 300) * 300)
                                   - interval '{five_d} days' - interval '{job_minutes} minutes',
                                 to_timestamp(floor(extract(epoch from now()) / 300) * 300)
                                   - interval '10 minutes', interval '5 minutes') ts,
                 generate_series({lo}, {hi}) t,
                 LATERAL (SELECT {value} AS v) x
            ORDER BY ts, t""",  # noqa: S608
        "hourly": f"""
            INSERT INTO readings_rollup (thing_id, series, step, at, low, mean, high, count)
            SELECT t, 'power', 3600, ts, v - 40, v, v + 40, {3600 // every}
            FROM generate_series(date_trunc('hour', now()) - interval '30 days',
                                 date_trunc('hour', now()) - interval '2 hours',
                                 interval '1 hour') ts,
                 generate_series({lo}, {hi}) t,
                 LATERAL (SELECT {value} AS v) x
            ORDER BY ts, t""",  # noqa: S608
    }
    with connection.cursor() as cursor:
        for name, sql in statements.items():
            started = time.monotonic()
            cursor.execute(sql)
            spent[name] = time.monotonic() - started
            log(f"{name}: {cursor.rowcount:,} rows in {spent[name]:.1f} s")
        # Where the job got to on its last run: one 5-minute step (and one hour) ago.
        cursor.execute(
            "INSERT INTO readings_rollupmark (step, until) VALUES "
            "(300, to_timestamp(floor(extract(epoch from now()) / 300) * 300)"
            " - interval '5 minutes'), "
            "(3600, date_trunc('hour', now()) - interval '1 hour')"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE readings_sample")
        cursor.execute("VACUUM ANALYZE readings_rollup")
    return spent


def sizes(things: int) -> dict[str, Any]:
    """Bytes on disk per table and per thing per day at each resolution."""
    from django.conf import settings
    from django.db import connection

    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for table in ("readings_sample", "readings_rollup"):
            query = (
                "SELECT pg_total_relation_size(%s), pg_relation_size(%s), "  # noqa: S608
                f"pg_indexes_size(%s), (SELECT count(*) FROM {table})"
            )
            cursor.execute(query, [table, table, table])
            total, heap, indexes, rows = cursor.fetchone()
            out[table] = {"bytes": total, "heap": heap, "indexes": indexes, "rows": rows}
        cursor.execute("SELECT step, count(*) FROM readings_rollup GROUP BY step")
        per_step = dict(cursor.fetchall())
    raw = out["readings_sample"]
    roll = out["readings_rollup"]
    per_row_raw = raw["bytes"] / raw["rows"]
    per_row_roll = roll["bytes"] / roll["rows"]
    raw_days = settings.READINGS_RAW_HOURS / 24
    out["per_thing_per_day"] = {
        "raw": round(raw["bytes"] / things / raw_days),
        "five_minute": round(per_row_roll * per_step[300] / things / 30),
        "hourly": round(per_row_roll * per_step[3600] / things / 30),
    }
    full = (
        per_row_raw * 86400 / 10 * raw_days
        + per_row_roll * 288 * settings.READINGS_FIVE_MINUTE_DAYS
        + per_row_roll * 24 * settings.READINGS_HOURLY_DAYS
    )
    out["per_thing_full_retention_bytes"] = round(full)
    out["bytes_per_row"] = {"raw": round(per_row_raw, 1), "rollup": round(per_row_roll, 1)}
    return out


def measure_chart(
    user: Any, ids: list[int], rng: str, requests: int, warmup: int
) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    picks = random.Random(13)
    times: list[float] = []
    body_bytes = points = queries = 0
    for n in range(warmup + requests):
        url = reverse("dashboard:thing_readings", args=[picks.choice(ids)])
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, {"range": rng})
            spent = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if n >= warmup:
            times.append(spent)
            body = response.content
            body_bytes, queries = len(body), len(captured.captured_queries)
            points = len(json.loads(body)["t"])
    return {
        "range": rng,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(pct(times, 95), 1),
        "max_ms": round(max(times), 1),
        "bytes": body_bytes,
        "points": points,
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--things", type=int, default=200)
    parser.add_argument("--every", type=int, default=10, help="seconds between readings")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    with bench_database() as url:
        setup_django(url)
        from django.conf import settings

        from readings.rollup import roll_up

        user, ids = make_household(args.things)
        log(f"{len(ids)} meters; generating 30 days at one reading every {args.every} s")
        fill(ids, args.every, settings.READINGS_ROLLUP_MINUTES)
        charts = [
            measure_chart(user, ids, r, args.requests, args.warmup) for r in ("30d", "7d", "24h")
        ]
        started = time.perf_counter()
        result = roll_up()
        job_s = time.perf_counter() - started
        started = time.perf_counter()
        roll_up()
        idle_s = time.perf_counter() - started
        disk = sizes(args.things)
        figures = {
            "things": args.things,
            "chart": charts,
            "chart_30d_p95_ms": charts[0]["p95_ms"],
            "chart_target_ms": TARGET_P95_MS,
            "tables": {k: disk[k] for k in ("readings_sample", "readings_rollup")},
            "bytes_per_row": disk["bytes_per_row"],
            "bytes_per_thing_per_day": disk["per_thing_per_day"],
            "bytes_per_thing_full_retention": disk["per_thing_full_retention_bytes"],
            "rollup_job": {
                "seconds": round(job_s, 2),
                "five_minute_rows": result.five_minute_rows,
                "hourly_rows": result.hourly_rows,
                "pruned_rows": result.pruned,
                "idle_run_seconds": round(idle_s, 3),
            },
        }
        print(json.dumps(figures, indent=2))
        verdict = "meets" if charts[0]["p95_ms"] <= TARGET_P95_MS else "MISSES"
        log(f"30-day chart p95 {charts[0]['p95_ms']} ms: {verdict} the {TARGET_P95_MS:g} ms target")


if __name__ == "__main__":
    main()
