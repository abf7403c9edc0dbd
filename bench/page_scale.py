"""Benchmark (issue 11, page scale): the dashboard with 50, 500 and 2,000 things.

For each size it creates one household in a database of its own (cloudsim's devices stored
by the real sync code, see bench/scale/household.py) and measures:

* the dashboard page (`dashboard:home`) through the whole Django stack and middleware, GET
  by a signed-in test client: the first request after start (cold caches), then p50/p95 of
  server time over `--requests` requests after `--warmup`; HTML and gzip bytes; SQL queries;
* the page socket's snapshot (`realtime.snapshot.build_snapshot`): build time and JSON bytes;
* in Chromium against Daphne (as in production), per `--browser-runs` page loads:
  DOMContentLoaded and "live" (the socket's snapshot applied: `[data-live-status]` reads
  Live), both from navigation start, and the server's response time as the browser saw it.

    .venv/bin/python bench/page_scale.py                      # 50, 500, 2000 things
    .venv/bin/python bench/page_scale.py --sizes 500 --no-browser

It needs DATABASE_URL (PostgreSQL: the benchmark creates `bench_page_scale_<pid>` beside the
given database and drops it at the end; anything else: a SQLite file in a temp dir) and
REDIS_URL (the channel layer of Daphne's page socket). See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
OWNER_PASSWORD = "bench-owner-Pa55word!"  # noqa: S105 - a throwaway local user
TARGETS = {500: (100.0, 300_000, None), 2000: (300.0, None, 1000.0)}  # p95 ms, bytes, live ms


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# -- the database ----------------------------------------------------------------------------


@contextlib.contextmanager
def bench_database(tmp: Path) -> Iterator[str]:
    """A database of the benchmark's own, dropped at the end (PostgreSQL), else SQLite."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://", "pgsql://")):
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(base)
    name = f"bench_page_scale_{os.getpid()}"
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


def setup_django(database_url: str, tmp: Path) -> dict[str, str]:
    """Point this process at the benchmark database; returns the env for Daphne."""
    env = {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DATABASE_URL": database_url,
        "CHANNELS_PREFIX": f"pagescale{uuid.uuid4().hex[:8]}",
        "VAR_DIR": str(tmp / "var"),
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # Daphne serves live.js from it
    log(f"migrated and collected static files in {time.monotonic() - started:.1f} s")
    return {**os.environ, **env}


# -- one household ---------------------------------------------------------------------------


@dataclass
class Figures:
    size: int
    things: int = 0
    setup_s: float = 0.0
    cold_ms: float = 0.0
    server_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # this process only: not PostgreSQL's
    html_bytes: int = 0
    gzip_bytes: int = 0
    queries: int = 0
    cards: int = 0
    lazy_rooms: int = 0
    room_ms: list[float] = field(default_factory=list)  # a lazy room's fragment
    room_bytes: int = 0
    room_queries: int = 0
    all_ms: list[float] = field(default_factory=list)  # ?all=1: every room with the page
    all_bytes: int = 0
    snapshot_ms: list[float] = field(default_factory=list)
    snapshot_cpu_ms: list[float] = field(default_factory=list)
    snapshot_bytes: int = 0
    snapshot_gzip: int = 0
    dom_ms: list[float] = field(default_factory=list)
    live_ms: list[float] = field(default_factory=list)
    ttfb_ms: list[float] = field(default_factory=list)
    open_ms: list[float] = field(default_factory=list)  # page socket open
    snapshot_at_ms: list[float] = field(default_factory=list)  # its first frame received
    sessionid: str = ""


def make(size: int, index: int) -> tuple[Any, Figures]:
    from django.test import Client

    from accounts.services import sign_up
    from bench.scale.household import make_household

    figures = Figures(size)
    started = time.monotonic()
    user, household = sign_up(f"owner{index}@bench.example.com", OWNER_PASSWORD, f"{size} things")
    figures.things = make_household(household, size, seed=index).things
    figures.setup_s = time.monotonic() - started
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    figures.sessionid = client.cookies["sessionid"].value
    log(f"{size}: household {household.pk} with {figures.things} things in {figures.setup_s:.1f} s")
    return household, figures


def measure_server(client: Any, figures: Figures, requests: int, warmup: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from devices import presentation

    url = reverse("dashboard:home")
    getattr(presentation, "clear_caches", presentation._BODIES.clear)()
    started = time.perf_counter()
    response = client.get(url)
    figures.cold_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"dashboard answered {response.status_code}")
    for _ in range(warmup):
        client.get(url)
    for _ in range(requests):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        figures.server_ms.append((time.perf_counter() - started) * 1000)
        figures.cpu_ms.append((time.process_time() - cpu) * 1000)
    html = response.content
    figures.html_bytes = len(html)
    figures.gzip_bytes = len(gzip.compress(html, 6))
    figures.cards = html.count(b"data-thing=")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    figures.queries = len(queries.captured_queries)
    figures.lazy_rooms = html.count(b"data-lazy-room")
    measure_rooms(client, figures, html, requests)
    for run in range(1 + max(3, requests // 4)):
        started = time.perf_counter()
        response = client.get(url, {"all": "1"})
        if run:  # after one that fills the cache with the lazy rooms' cards
            figures.all_ms.append((time.perf_counter() - started) * 1000)
    figures.all_bytes = len(response.content)


def measure_rooms(client: Any, figures: Figures, html: bytes, requests: int) -> None:
    """GET the fragments of the page's lazy rooms, as htmx does when they scroll into view
    (each once to warm the card cache as the page's own load would not, then timed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    urls = [unescape(u.decode()) for u in re.findall(rb'hx-get="([^"]+)"', html)]
    if not urls:
        return
    sizes = []
    for room_url in urls[:requests]:
        client.get(room_url, HTTP_HX_REQUEST="true")
    for i in range(requests):
        room_url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(room_url, HTTP_HX_REQUEST="true")
        figures.room_ms.append((time.perf_counter() - started) * 1000)
        sizes.append(len(response.content))
    figures.room_bytes = round(statistics.mean(sizes))
    with CaptureQueriesContext(connection) as queries:
        client.get(urls[-1], HTTP_HX_REQUEST="true")
    figures.room_queries = len(queries.captured_queries)


def measure_snapshot(household_id: int, figures: Figures, runs: int) -> None:
    from realtime.snapshot import build_snapshot

    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        snapshot = build_snapshot(household_id)
        figures.snapshot_ms.append((time.perf_counter() - started) * 1000)
        figures.snapshot_cpu_ms.append((time.process_time() - cpu) * 1000)
    text = json.dumps(snapshot).encode()  # as the consumer's send_json encodes it
    figures.snapshot_bytes = len(text)
    figures.snapshot_gzip = len(gzip.compress(text, 6))


# -- the browser -----------------------------------------------------------------------------

# Stamps the moment the page says Live (performance.now(), from navigation start).
LIVE_PROBE = """
new MutationObserver((_, observer) => {
  const el = document.querySelector('[data-live-status][data-state="live"]');
  if (el) { window.__liveAt = performance.now(); observer.disconnect(); }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-state"]});
const PageSocket = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new PageSocket(...args);
  socket.addEventListener("open", () => { window.__socketOpenAt ??= performance.now(); });
  socket.addEventListener("message", () => { window.__snapshotAt ??= performance.now(); });
  return socket;
};
window.WebSocket.prototype = PageSocket.prototype;
Object.assign(window.WebSocket, {OPEN: 1, CLOSED: 3, CONNECTING: 0, CLOSING: 2});
"""


@contextlib.contextmanager
def daphne(env: dict[str, str], tmp: Path) -> Iterator[str]:
    from tests.e2e.conftest import Service, free_port, start_service, wait_http

    port = free_port()
    args = [sys.executable, "-m", "dashboard.serve", "-b", "127.0.0.1", "-p", str(port)]
    service: Service = start_service("daphne", [*args, "dashboard.asgi:application"], env, tmp)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", service, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        service.stop()


def measure_browser(url: str, all_figures: list[Figures], runs: int) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for figures in all_figures:
                context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
                host = urlsplit(url).hostname or "127.0.0.1"
                session = {"name": "sessionid", "value": figures.sessionid}
                context.add_cookies([{**session, "domain": host, "path": "/"}])
                context.add_init_script(LIVE_PROBE)
                page = context.new_page()
                for run in range(runs + 1):  # the first load warms the server and the cache
                    page.goto("/", wait_until="domcontentloaded")
                    page.wait_for_function("window.__liveAt !== undefined", timeout=60_000)
                    timing = page.evaluate(
                        """() => {
                          const nav = performance.getEntriesByType("navigation")[0];
                          return {dom: nav.domContentLoadedEventEnd, live: window.__liveAt,
                                  ttfb: nav.responseStart - nav.requestStart,
                                  open: window.__socketOpenAt, snapshot: window.__snapshotAt};
                        }"""
                    )
                    if run:
                        figures.dom_ms.append(timing["dom"])
                        figures.live_ms.append(timing["live"])
                        figures.ttfb_ms.append(timing["ttfb"])
                        figures.open_ms.append(timing["open"])
                        figures.snapshot_at_ms.append(timing["snapshot"])
                context.close()
                log(f"{figures.size}: browser live p50 {statistics.median(figures.live_ms):.0f} ms")
        finally:
            browser.close()


# -- report ----------------------------------------------------------------------------------


def report(all_figures: list[Figures], args: argparse.Namespace) -> None:
    def ms(values: list[float], q: float) -> str:
        return f"{pct(values, q):.0f}" if values else "—"

    def kb(value: int) -> str:
        return f"{value / 1000:.0f}"

    rows = [
        ("things (rows)", lambda f: f"{f.things}"),
        ("cards on the page", lambda f: f"{f.cards}"),
        ("first request ms (cold)", lambda f: f"{f.cold_ms:.0f}"),
        ("server ms p50", lambda f: ms(f.server_ms, 50)),
        ("server ms p95", lambda f: ms(f.server_ms, 95)),
        ("server CPU ms p50", lambda f: ms(f.cpu_ms, 50)),
        ("HTML KB", lambda f: kb(f.html_bytes)),
        ("HTML gzip KB", lambda f: kb(f.gzip_bytes)),
        ("bytes per card (?all=1)", lambda f: f"{f.all_bytes // max(1, f.things)}"),
        ("SQL queries", lambda f: f"{f.queries}"),
        ("rooms left to scroll (lazy)", lambda f: f"{f.lazy_rooms}"),
        ("lazy room ms p50 / p95", lambda f: f"{ms(f.room_ms, 50)} / {ms(f.room_ms, 95)}"),
        ("lazy room KB, queries", lambda f: f"{kb(f.room_bytes)}, {f.room_queries}"),
        ("?all=1 ms p50, KB", lambda f: f"{ms(f.all_ms, 50)}, {kb(f.all_bytes)}"),
        (
            "snapshot build ms p50 (CPU)",
            lambda f: f"{ms(f.snapshot_ms, 50)} ({ms(f.snapshot_cpu_ms, 50)})",
        ),
        ("snapshot KB (gzip)", lambda f: f"{kb(f.snapshot_bytes)} ({kb(f.snapshot_gzip)})"),
    ]
    if not args.no_browser:
        rows += [
            ("browser TTFB ms p50", lambda f: ms(f.ttfb_ms, 50)),
            ("DOMContentLoaded ms p50", lambda f: ms(f.dom_ms, 50)),
            ("socket open ms p50", lambda f: ms(f.open_ms, 50)),
            ("snapshot received ms p50", lambda f: ms(f.snapshot_at_ms, 50)),
            ("live ms p50 / max", lambda f: f"{ms(f.live_ms, 50)} / {ms(f.live_ms, 100)}"),
        ]
    width = max(len(name) for name, _ in rows)
    print()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min) at the end")
    print(f"{'things':<{width}}  " + "  ".join(f"{f.size:>12}" for f in all_figures))
    for name, cell in rows:
        print(f"{name:<{width}}  " + "  ".join(f"{cell(f):>12}" for f in all_figures))
    print()
    print(
        f"server: {args.requests} requests after {args.warmup} warm-up, Django test client; "
        f"browser: {args.browser_runs} loads after 1 warm-up, Chromium + Daphne"
    )
    for f in all_figures:
        target = TARGETS.get(f.size)
        if target is None:
            continue
        p95_max, bytes_max, live_max = target
        checks = [f"p95 {pct(f.server_ms, 95):.0f} ≤ {p95_max:.0f} ms"]
        ok = pct(f.server_ms, 95) <= p95_max
        if bytes_max is not None:
            checks.append(f"HTML {kb(f.html_bytes)} ≤ {kb(bytes_max)} KB")
            ok &= f.html_bytes <= bytes_max
        if live_max is not None and f.live_ms:
            checks.append(f"live {pct(f.live_ms, 50):.0f} ≤ {live_max:.0f} ms")
            ok &= pct(f.live_ms, 50) <= live_max
        print(f"target {f.size}: {'met' if ok else 'NOT met'} ({'; '.join(checks)})")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,500,2000", help="things per household")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per size")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--snapshot-runs", type=int, default=5)
    parser.add_argument("--browser-runs", type=int, default=5, help="timed page loads per size")
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium and Daphne")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (logs)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not os.environ.get("REDIS_URL") and not args.no_browser:
        sys.exit("REDIS_URL is needed for Daphne's page socket (or pass --no-browser)")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="page-scale-"))
    (tmp / "var").mkdir()
    try:
        with bench_database(tmp) as database_url:
            env = setup_django(database_url, tmp)
            from django.db import connections
            from django.test import Client
            from django_scopes import scopes_disabled

            all_figures = []
            for index, size in enumerate(sizes):
                with scopes_disabled():
                    household, figures = make(size, index)
                client = Client(HTTP_HOST="127.0.0.1")
                client.cookies["sessionid"] = figures.sessionid
                measure_server(client, figures, args.requests, args.warmup)
                measure_snapshot(household.pk, figures, args.snapshot_runs)
                log(f"{size}: server p95 {pct(figures.server_ms, 95):.0f} ms")
                all_figures.append(figures)
            connections.close_all()
            if not args.no_browser:
                with daphne(env, tmp) as url:
                    measure_browser(url, all_figures, args.browser_runs)
            report(all_figures, args)
    finally:
        if args.keep_tmp:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
