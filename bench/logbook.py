"""Benchmark (issue 13, logbook): a busy household's logbook, first page and full export.

One household with `--things` devices (200) and `--days` of events (30), written straight
into PostgreSQL with INSERT … SELECT generate_series (minutes, not hours, to set up):

* cloud operating history: one entry per device every `--history-every` seconds (300: a
  busy device, switched or reporting every 5 minutes, ~1.7 M rows; the issue's readings
  rate of one per 10 s concerns the readings store, not the history);
* dashboard commands: one per device per hour; online/offline: two per device per day;
  thing actions and notifications: a few a day.

It prints, through the whole Django stack (signed-in test client, middleware included):
the logbook's first page p50/p95 server time (target ≤ 100 ms p95), the same filtered by a
device and by a kind, a page 20 pages deep by cursor, and a full CSV export: its rows,
bytes, time and the process's peak memory growth (ru_maxrss) while streaming it.

    DATABASE_URL=postgres://… .venv/bin/python bench/logbook.py [--things 200 --days 30]

It creates `bench_page_scale_<pid>` beside the given database and drops it at the end.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.page_scale import bench_database, log, pct, setup_django  # noqa: E402

TARGET_P95_MS = 100.0


def populate(things: int, days: int, history_every: int) -> tuple[Any, Any, dict[str, int]]:
    """The household, its owner and how many rows each source got."""
    from django.db import connection
    from django_scopes import scopes_disabled

    from accounts.models import LinkedAccount
    from accounts.services import sign_up
    from devices.models import Home, Room, Thing

    user, household = sign_up("owner@bench.example.com", "bench-owner-Pa55word!", "Busy")
    with scopes_disabled():
        account = LinkedAccount.objects.create(
            household=household, label="Bench", identifier="bench@example.com", region="eu",
            apikey="bench-apikey", method="password",
        )  # fmt: skip
        home = Home.objects.create(household=household, account=account, cloud_id="h", name="Home")
        rooms = [
            Room.objects.create(household=household, home=home, cloud_id=f"r{n}", name=f"Room {n}")
            for n in range(10)
        ]
        Thing.objects.bulk_create(
            Thing(
                household=household,
                account=account,
                cloud_id=f"1000{n:06d}",
                item_type=1,
                name=f"Plug {n}",
                uiid=1,
                params={"switch": "on"},
                home=home,
                room=rooms[n % len(rooms)],
            )
            for n in range(things)
        )
    span = days * 86400
    h = household.pk
    statements = {
        "history": f"""
            INSERT INTO devices_historyentry
                (household_id, thing_id, ops_time, user_agent, ops_account, request, fingerprint)
            SELECT {h}, t.id, now() - make_interval(secs => s * {history_every} + t.id % 97),
                   'app', 'family@example.com',
                   (CASE WHEN s % 2 = 0 THEN '{{"switch": "on"}}'
                         ELSE '{{"switch": "off"}}' END)::jsonb,
                   md5(t.id::text || '-' || s::text)
            FROM devices_thing t, generate_series(0, {span // history_every - 1}) s
            WHERE t.household_id = {h}""",  # noqa: S608 - ints only
        "commands": f"""
            INSERT INTO realtime_commandrecord
                (household_id, account_id, thing_id, thing_name, user_id, control, value, params,
                 via, result, message, latency_ms, created_at)
            SELECT {h}, t.account_id, t.id, t.name, {user.pk}, 'switch', '"off"', '{{}}',
                   'socket', 'ok', 'Done', 40, now() - make_interval(secs => s * 3600 + t.id % 59)
            FROM devices_thing t, generate_series(0, {span // 3600 - 1}) s
            WHERE t.household_id = {h}""",  # noqa: S608 - ints only
        "online/offline": f"""
            INSERT INTO logbook_logbookevent (household_id, thing_id, kind, at, text)
            SELECT {h}, t.id, 'connectivity', now() - make_interval(secs => s * 43200 + t.id),
                   CASE WHEN s % 2 = 0 THEN 'Came online' ELSE 'Went offline' END
            FROM devices_thing t, generate_series(0, {span // 43200 - 1}) s
            WHERE t.household_id = {h}""",  # noqa: S608 - ints only
        "actions": f"""
            INSERT INTO devices_thingaction
                (household_id, thing_id, thing_name, user_id, action, detail, result, message,
                 created_at)
            SELECT {h}, t.id, t.name, {user.pk}, 'rename', '{{}}', 'ok', '',
                   now() - make_interval(secs => s * 7200)
            FROM devices_thing t, generate_series(0, {span // 7200 - 1}) s
            WHERE t.household_id = {h} AND t.id % 20 = 0""",  # noqa: S608 - ints only
        "notifications": f"""
            INSERT INTO accounts_notification (household_id, kind, title, body, created_at)
            SELECT {h}, 'alarm', 'Leak sensor: water detected', '',
                   now() - make_interval(secs => s * 14400)
            FROM generate_series(0, {span // 14400 - 1}) s""",  # noqa: S608 - ints only
    }
    counts = {}
    with connection.cursor() as cursor:
        for name, statement in statements.items():
            started = time.monotonic()
            cursor.execute(statement)
            counts[name] = cursor.rowcount
            log(f"{name}: {cursor.rowcount:,} rows in {time.monotonic() - started:.1f} s")
        cursor.execute("ANALYZE")
    return household, user, counts


def timed(client: Any, url: str, requests: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def deep_url(client: Any, pages: int) -> str:
    """The logbook `pages` pages down, followed by cursor as the page's scroll does."""
    url = "/logbook/"
    for _ in range(pages):
        html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        url = html.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")
    return url


def export(client: Any) -> tuple[int, int, float, float]:
    """Rows, bytes, seconds and peak RSS growth (MiB) of a full CSV export."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get("/logbook/export.csv")
    rows = size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return rows - 1, size, seconds, grown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--things", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--history-every", type=int, default=300, help="seconds per entry")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(Path(tmp)) as url:
        if not url.startswith("postgres"):
            raise SystemExit("bench/logbook.py needs DATABASE_URL=postgres://…")
        setup_django(url, Path(tmp))
        from django.test import Client

        household, user, counts = populate(args.things, args.days, args.history_every)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        from django_scopes import scopes_disabled

        from devices.models import Thing

        with scopes_disabled():
            thing = Thing.objects.filter(household=household).order_by("pk")[7]
        cases = {
            "first page": "/logbook/",
            "one device": f"/logbook/?thing={thing.pk}",
            "kind online/offline": "/logbook/?kind=connectivity",
            "thing history panel": f"/things/{thing.pk}/history/",
            "20 pages deep": deep_url(client, 20),
        }
        print(f"\nlogbook of {args.things} things over {args.days} days: "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()))  # fmt: skip
        print(f"{'page':<22} {'p50 ms':>8} {'p95 ms':>8}")
        for name, page in cases.items():
            times = timed(client, page, args.requests)
            print(f"{name:<22} {pct(times, 50):>8.1f} {pct(times, 95):>8.1f}")
            if name == "first page":
                verdict = "ok" if pct(times, 95) <= TARGET_P95_MS else "OVER"
                print(f"{'':<22} target p95 ≤ {TARGET_P95_MS:.0f} ms: {verdict}")
        if not args.no_export:
            rows, size, seconds, grown = export(client)
            print(
                f"CSV export: {rows:,} rows, {size / 2**20:.0f} MiB in {seconds:.1f} s "
                f"({rows / seconds:,.0f} rows/s); peak RSS grew {grown:.0f} MiB"
            )


if __name__ == "__main__":
    main()
