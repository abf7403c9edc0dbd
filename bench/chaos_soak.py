"""Chaos soak (issue 17): everything fails at once, and nothing may be lost.

Starts cloudsim, a Redis server of its own, a PostgreSQL database of its own, two Daphnes,
two realtime workers (sharded 0/2 and 1/2; from half-time both on 0/1), a Celery worker and
beat, exactly as production runs them. Load: accounts whose devices change in the cloud at a
steady rate, page sockets that ack frames and reconnect like live.js, and a member sending
controls throughout (some to offline devices, some to devices that never answer). Faults
come on a schedule drawn from the seed; afterwards the checks are printed as a table and the
run fails (exit 1) when one is violated.

    .venv/bin/python bench/chaos_soak.py --minutes 2 --seed 1      # short (CI runs this)
    .venv/bin/python bench/chaos_soak.py --minutes 30 --seed 7     # the long soak

See bench/README.md for what each check means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chaos import checks  # noqa: E402
from bench.chaos.faults import ALL_KINDS, Injector, Schedule  # noqa: E402
from bench.chaos.load import FINAL, RESULT_WAIT_S, Load  # noqa: E402
from bench.chaos.stack import APPID, Stack, log  # noqa: E402

CONVERGE_WITHIN_S = 60.0  # after the faults stop, pages = database = cloud within this
HELD_AGAIN_WITHIN_S = 45.0  # after a worker kill: lease TTL (15 s) + reconnect backoff
QUEUE_LIMIT = 20  # Celery messages waiting, for the figure of how long the queue takes to drain
# Beat hands out each job for every account at once (48-72 messages every 5-10 minutes here),
# so one sample says little: the check is that the queue does not grow over the run
# (checks.queue_growth), and how long it takes to drain after the load is a figure.
QUEUE_DRAIN_S = 120.0


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="chaos-soak-"))
        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        self.stack = Stack(self.tmp, base)
        self.accounts: list[dict[str, Any]] = []
        self.rows: list[tuple[str, str, str, bool]] = []  # check, value, limit, ok
        self.figures: list[tuple[str, str]] = []
        self.failed = False
        self.groups: dict[str, list[int]] = {}
        self.drained: tuple[int, float] = (-1, 0.0)
        self.unheld = -1

    async def setup(self, http: aiohttp.ClientSession) -> tuple[Load, dict[str, list[int]]]:
        args, stack = self.args, self.stack
        await asyncio.to_thread(stack.create_db)
        stack.start_redis()
        sim = stack.start_cloudsim()
        log(f"cloudsim {sim.base_url}, redis :{stack.redis_port}, database {stack.dbname}")
        load = Load(http, sim.control_url, {}, args.seed)
        for i in range(args.accounts):
            body = {"region": "eu", "email": f"chaos{i}@example.com", "password": f"pw-{i}"}
            body |= {"countryCode": "+44", "nickname": f"chaos {i}"}
            acc = await load.sim("POST", "/accounts", body)
            devices = []
            for n in range(args.devices):
                dev = await load.sim(
                    "POST", "/devices", {"owner": acc["apikey"], "uiid": 1, "name": f"sw {i}.{n}"}
                )
                devices.append(dev["deviceid"])
            self.accounts.append(
                {"email": body["email"], "password": body["password"], "apikey": acc["apikey"]}
                | {"devices": devices}
            )
        stack.django_env()
        info = await asyncio.to_thread(
            stack.migrate_and_link,
            [{"email": a["email"], "password": a["password"]} for a in self.accounts],
        )
        load.things = {int(k): v for k, v in info["things"].items()}
        load.device_thing = {d: pk for pk, d in load.things.items()}
        # Account 0 is the one whose tokens die (needs relink): nothing of it moves.
        # Device 0 of every other account takes controls only (its final state must be the
        # last successful command); the rest change in the cloud. Two controlled devices are
        # offline for good and two never answer.
        controlled = [load.device_thing[a["devices"][0]] for a in self.accounts[1:]]
        changing = [load.device_thing[d] for a in self.accounts[1:] for d in a["devices"][1:]]
        offline, silent = controlled[:2], controlled[2:4]
        for pk in offline:
            await load.sim("POST", f"/devices/{load.things[pk]}/online", {"online": False})
        for pk in silent:
            behaviour = {"unresponsive": True}
            await load.sim("POST", f"/devices/{load.things[pk]}/behaviour", behaviour)
        log(
            f"linked {len(self.accounts)} accounts, {len(load.things)} things "
            f"in {info['seconds']} s"
        )
        stack.start_all()
        await self.wait_http(http)
        return load, {
            "controlled": controlled,
            "changing": changing,
            "offline": offline,
            "silent": silent,
        }

    async def wait_http(self, http: aiohttp.ClientSession, within_s: float = 90) -> None:
        for port in self.stack.daphne_ports:
            deadline = time.monotonic() + within_s
            while True:
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status < 500:
                            break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne on {port} did not answer; see {self.tmp}/logs")
                await asyncio.sleep(0.3)

    async def wait_held(self, monitor: checks.Monitor, within_s: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < within_s:
            _, unheld = await monitor.divergence(time.monotonic())
            if unheld == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.5)
        raise RuntimeError(f"the workers did not hold every account in {within_s:.0f} s")

    async def run(self) -> None:
        args = self.args
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            load, groups = await self.setup(http)
            self.groups = groups
            monitor = checks.Monitor(self.stack, load, APPID, [a["apikey"] for a in self.accounts])
            held = await self.wait_held(monitor, 120)
            log(f"every account held after {held:.1f} s; opening {args.pages} pages")
            await load.open_pages(self.stack.daphne_ports, args.pages)
            for device in await load.sim("GET", "/devices"):
                if device["deviceid"] in load.device_thing:
                    load.last[load.device_thing[device["deviceid"]]] = (
                        device["params"].get("switch") == "on"
                    )
            await asyncio.sleep(3)
            background = [
                asyncio.create_task(monitor.run()),
                asyncio.create_task(load.changes_forever(groups["changing"], args.rate)),
                asyncio.create_task(load.controls_forever(groups["controlled"], args.control_rate)),
            ]
            injector = Injector(self.stack, load, self.accounts, args.seed)
            load_s = args.minutes * 60
            window = max(10.0, load_s - args.warmup - args.quiet)
            schedule = Schedule.draw(args.seed, args.faults, window, args.fault_every)
            log(f"schedule: {[(round(t), k) for t, k in schedule.items]}")
            started = time.monotonic()
            resharded = False
            for offset, kind in schedule.items:
                await self.until(started + args.warmup + offset)
                if not resharded and offset >= window / 2 and args.reshard:
                    await self.reshard()
                    resharded = True
                await injector.inject(kind)
                if kind == "relink":
                    monitor.excused.add(injector.relink_account["apikey"])
                self.check_dead()
            await self.until(started + load_s)
            load.generating = False
            faults_stopped = time.monotonic()
            log("load and faults stopped; waiting for convergence")
            await load.sim("DELETE", "/faults")
            for page in load.pages:
                page.acking = True
            converged = await self.final_convergence(load, monitor, injector)
            await self.wait_results(load)
            self.drained = await self.drain_queue()
            for task in background:
                task.cancel()
            self.judge(load, monitor, injector, groups, converged, faults_stopped, started)
            await load.stop()

    async def until(self, moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - time.monotonic()))

    async def reshard(self) -> None:
        """Phase 2: both realtime workers on the same shard (a graceful restart)."""
        log("phase 2: both realtime workers on shard 0/1")
        self.stack.shards = "same"
        for role in ("realtime0", "realtime1"):
            self.stack.stop(role)
            self.stack.start(role)

    def check_dead(self) -> None:
        for role in self.stack.dead():
            log(f"!! {role} exited on its own; see {self.tmp}/logs/{role}.log")
            self.stack.restart(role)
            self.figures.append((f"{role} exited on its own", "restarted"))

    async def final_convergence(
        self, load: Load, monitor: checks.Monitor, injector: Injector
    ) -> tuple[float | None, int, int]:
        """(seconds, divergent page/cloud, divergent db/cloud) once all agree or at the limit."""
        started = time.monotonic()
        divergent_pages = divergent_db = -1
        while time.monotonic() - started < CONVERGE_WITHIN_S:
            await asyncio.sleep(1.0)
            with contextlib.suppress(Exception):
                divergent_pages, self.unheld = await monitor.divergence(
                    time.monotonic(), strict=True
                )
                cloud = checks.cloud_view(await load.sim("GET", "/devices"))
                db = await asyncio.to_thread(checks.db_view, self.stack.db_url)
                divergent_db = sum(1 for pk, d in load.things.items() if db.get(pk) != cloud.get(d))
                if divergent_pages == 0 and divergent_db == 0 and self.unheld == 0:
                    return time.monotonic() - started, 0, 0
        with contextlib.suppress(Exception):
            cloud = checks.cloud_view(await load.sim("GET", "/devices"))
            db = await asyncio.to_thread(checks.db_view, self.stack.db_url)
            for pk, d in load.things.items():
                pages = {checks.page_view(p.state.get(pk)) for p in load.pages}
                if db.get(pk) != cloud.get(d) or pages != {cloud.get(d)}:
                    group = next(
                        (
                            g
                            for g in ("offline", "silent", "controlled", "changing")
                            if pk in self.groups.get(g, ())
                        ),
                        "static",
                    )
                    log(
                        f"  divergent thing {pk} ({d}, {group}): (switch, online) cloud "
                        f"{cloud.get(d)} db {db.get(pk)} pages {pages}"
                    )
        return None, divergent_pages, divergent_db

    async def drain_queue(self) -> tuple[int, float]:
        """(messages waiting, seconds waited) once Celery's queue is down to the limit."""
        started = time.monotonic()
        waiting = -1
        while True:
            with contextlib.suppress(Exception):
                redis = aioredis.Redis.from_url(self.stack.redis_url)
                try:
                    waiting = int(await redis.llen("celery"))
                finally:
                    await redis.aclose()
            waited = time.monotonic() - started
            if 0 <= waiting <= QUEUE_LIMIT or waited >= QUEUE_DRAIN_S:
                return waiting, waited
            await asyncio.sleep(1.0)

    async def wait_results(self, load: Load) -> None:
        deadline = time.monotonic() + RESULT_WAIT_S
        while time.monotonic() < deadline:
            open_ = [
                c
                for c in load.controls.values()
                if not c.interrupted and not any(r in FINAL for r in c.results)
            ]
            if not open_:
                return
            await asyncio.sleep(0.5)

    def row(self, check: str, value: Any, limit: str, ok: bool) -> None:
        self.rows.append((check, str(value), limit, ok))
        self.failed |= not ok

    def judge(
        self,
        load: Load,
        monitor: checks.Monitor,
        injector: Injector,
        groups: dict[str, list[int]],
        converged: tuple[float | None, int, int],
        faults_stopped: float,
        started: float,
    ) -> None:
        seconds, pages_off, db_off = converged
        self.row(
            "convergence: divergent things (pages vs cloud)",
            pages_off,
            f"0 within {CONVERGE_WITHIN_S:.0f} s",
            pages_off == 0,
        )
        self.row("convergence: divergent things (DB vs cloud)", db_off, "0", db_off == 0)
        self.row(
            "leases: accounts without a cloud socket at the end",
            self.unheld,
            "0 (the relinked one aside)",
            self.unheld == 0,
        )
        self.figures.append(("converged after the faults stopped", f"{checks.fmt(seconds)} s"))
        controls = list(load.controls.values())
        finals = [[r for r in c.results if r in FINAL] for c in controls]
        once = sum(1 for f in finals if len(f) == 1)
        twice = sum(1 for f in finals if len(f) > 1)
        silent = sum(
            1 for c, f in zip(controls, finals, strict=True) if not f and not c.interrupted
        )
        interrupted = sum(
            1 for c, f in zip(controls, finals, strict=True) if not f and c.interrupted
        )
        self.row("commands: silent losses (no final result)", silent, "0", silent == 0)
        self.row("commands: more than one final result", twice, "0", twice == 0)
        recorded = sum(1 for f in finals if len(f) == 1 and f[0] in checks.RECORDED)
        records = checks.command_records(self.stack.db_url)
        self.row(
            "commands: records vs results on the page",
            f"{records} vs {recorded} (+{interrupted} cut off)",
            "results ≤ records ≤ results + cut off",
            recorded <= records <= recorded + interrupted,
        )
        by_status: dict[str, int] = {}
        for f in finals:
            if len(f) == 1:
                by_status[f[0]] = by_status.get(f[0], 0) + 1
        self.figures.append(
            ("controls sent / one final result", f"{len(controls)} / {once} {by_status}")
        )
        self.figures.append(("controls cut off by their page socket closing", str(interrupted)))
        wrong = self.final_state_mismatches(load, groups)
        self.row("commands: device ≠ last successful command", wrong, "0", wrong == 0)
        self.row(
            "leases: most cloud sockets of one account+APPID",
            monitor.max_peak,
            "≤ 1",
            monitor.max_peak <= 1,
        )
        kills = [f for f in injector.done if f.kind == "kill_realtime"]
        hit = [(f.at, f.apikeys) for f in injector.done if f.apikeys]
        held = [monitor.held_after(f.at, hit) for f in kills]
        worst = max((h if h is not None else 1e9) for h in held) if held else 0.0
        self.row(
            "leases: all accounts held again after a worker kill (later faults aside)",
            "never" if worst >= 1e9 else f"{worst:.1f} s (worst of {len(kills)})",
            f"≤ {HELD_AGAIN_WITHIN_S:.0f} s",
            worst <= HELD_AGAIN_WITHIN_S,
        )
        statuses = monitor.statuses or checks.link_statuses(self.stack.db_url)
        labels = checks.account_labels(self.stack.db_url)
        relink_id = labels.get(0)
        relinked = any(f.kind == "relink" for f in injector.done)
        if relinked:
            ok = statuses.get(relink_id) == "needs_relink"
            self.row(
                "relink: the faulted account needs relink",
                statuses.get(relink_id),
                "needs_relink",
                ok,
            )
        seen = monitor.ever_relinked | {a for a, s in statuses.items() if s == "needs_relink"}
        wrongly = sorted(seen - {relink_id})
        self.row("relink: other accounts ever needing relink", len(wrongly), "0", not wrongly)
        growth = checks.rss_growth(monitor.rss)
        grew = [g for g in growth if g[3]]
        self.row("resources: processes whose RSS kept growing", len(grew), "0", not grew)
        early, late, piling = checks.queue_growth(monitor.queue)
        self.row(
            "resources: Celery messages waiting, median 2nd → last quarter",
            f"{early:.0f} → {late:.0f}",
            "not > 1.5x and +20",
            not piling,
        )
        waiting, waited = self.drained
        self.figures.append(
            (
                "Celery messages waiting at the end of the load / after the drain wait",
                f"{monitor.queue[-1][1] if monitor.queue else 0} / {waiting} after {waited:.0f} s"
                f" (≤ {QUEUE_LIMIT} ends the wait)",
            )
        )
        self.figures.append(
            ("most Celery messages waiting", str(max((q for _, q in monitor.queue), default=0)))
        )
        self.figures.append(
            ("RSS MiB early → late", ", ".join(f"{r} {a:.0f}→{b:.0f}" for r, a, b, _ in growth))
        )
        # Figures.
        frames = sum(p.frames for p in load.pages)
        elapsed = faults_stopped - started
        self.figures.append(
            (
                "page frames received",
                f"{frames} ({frames / max(elapsed, 1):.0f}/s over {len(load.pages)} pages)",
            )
        )
        self.figures.append(("device changes pushed by the cloud", str(len(load.changes))))
        windows = [(f.at - 1, max(f.ends, f.at) + 20) for f in injector.done]
        quiet = [
            ms
            for t, ms in load.latencies_since(started)
            if not any(a <= t <= b for a, b in windows)
        ]
        self.figures.append(
            (
                "latency cloud → first page outside faults p50/p99",
                f"{checks.fmt(checks.pct(quiet, 50))} / {checks.fmt(checks.pct(quiet, 99))} ms"
                f" (n={len(quiet)})",
            )
        )
        by_kind: dict[str, list[float | None]] = {}
        starts = [f.at for f in injector.done] + [faults_stopped]
        for i, f in enumerate(injector.done):
            later = [t for t in starts[i + 1 :] if t > max(f.ends, f.at)]
            until = min(later) if later else faults_stopped
            by_kind.setdefault(f.kind, []).append(monitor.converged_after(max(f.ends, f.at), until))
        for kind, times in sorted(by_kind.items()):
            shown = ", ".join("next fault first" if t is None else f"{t:.0f}" for t in times)
            self.figures.append((f"converged after {kind} (s)", shown))
        self.figures.append(("restarts", str(self.stack.restarts)))
        self.figures.append(
            (
                "page socket close codes",
                str(sorted({c for p in load.pages for c in p.closes}, key=str)),
            )
        )

    def final_state_mismatches(self, load: Load, groups: dict[str, list[int]]) -> int:
        """Controlled devices whose last control ended `ok`: the cloud must show its value."""
        cloud = (
            checks.cloud_view(self.stack.sim.control("GET", "/devices")) if self.stack.sim else {}
        )
        last: dict[int, Any] = {}
        for c in sorted(load.controls.values(), key=lambda c: c.sent):
            last[c.thing] = c
        wrong = 0
        for pk, c in last.items():
            finals = [r for r in c.results if r in FINAL]
            if finals == ["ok"] and cloud.get(load.things[pk], (None,))[0] != c.value:
                wrong += 1
        return wrong

    def report(self) -> None:
        width = max(len(r[0]) for r in self.rows) if self.rows else 40
        print()
        print("=" * 100)
        print(
            f"chaos soak: --minutes {self.args.minutes} --seed {self.args.seed}, "
            f"{self.args.accounts} accounts x {self.args.devices} devices, "
            f"{self.args.pages} pages, "
            f"faults {','.join(self.args.faults)}; load {os.getloadavg()[0]:.2f}"
        )
        print(f"{'check':<{width}}  {'value':<36} {'limit':<26} verdict")
        print("-" * (width + 75))
        for check, value, limit, ok in self.rows:
            print(f"{check:<{width}}  {value:<36} {limit:<26} {'ok' if ok else 'VIOLATED'}")
        print()
        for name, value in self.figures:
            print(f"{name:<{width}}  {value}")
        print("=" * 100)
        print("RESULT: " + ("FAIL" if self.failed else "PASS"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=24)
    parser.add_argument("--devices", type=int, default=4, help="switches per account")
    parser.add_argument("--pages", type=int, default=6, help="page sockets, over both Daphnes")
    parser.add_argument("--rate", type=float, default=4.0, help="device changes a second")
    parser.add_argument("--control-rate", type=float, default=1.0, help="controls a second")
    parser.add_argument(
        "--faults",
        type=lambda s: [k for k in s.split(",") if k],
        default=list(ALL_KINDS),
        help=f"comma-separated subset of {','.join(ALL_KINDS)}",
    )
    parser.add_argument("--fault-every", type=float, default=22.0, help="seconds between faults")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--quiet", type=float, default=15.0, help="load without faults at the end")
    parser.add_argument("--no-reshard", dest="reshard", action="store_false")
    parser.add_argument("--keep-tmp", action="store_true")
    args = parser.parse_args()
    unknown = set(args.faults) - set(ALL_KINDS)
    if unknown:
        parser.error(f"unknown faults: {sorted(unknown)}")
    return args


def main() -> None:
    args = parse_args()
    soak = Soak(args)

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    crashed = False
    try:
        asyncio.run(soak.run())
    except KeyboardInterrupt:
        log("interrupted")
        crashed = True
    except Exception as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        crashed = True
        args.keep_tmp = True
    finally:
        soak.stack.stop_all()
        if args.keep_tmp or soak.failed:
            log(f"kept {soak.tmp} (logs)")
        else:
            shutil.rmtree(soak.tmp, ignore_errors=True)
    if soak.rows:
        soak.report()
    sys.exit(1 if crashed or soak.failed else 0)


if __name__ == "__main__":
    main()
