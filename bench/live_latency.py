"""Benchmark (issue 6): cloud push → page latency through the production processes.

cloudsim pushes device updates at R events/s over A accounts x D devices; the realtime
worker (`manage.py run_realtime`) and Daphne run as in production; K browser-like websocket
clients listen on `/ws/household/`. Prints p50/p95/p99 of cloud-push → page-receive latency,
events/s delivered, lost events, command round-trip p50/p99, CPU and RSS of every process,
accounts held per worker, and the same latency through a bare relay (aiohttp → Redis pub/sub
→ aiohttp websocket, no Django) measured in the same run on the same cloud and accounts.

    .venv/bin/python bench/live_latency.py --quick           # ~1-2 minutes, small
    .venv/bin/python bench/live_latency.py                   # scenario 1 + rate sweep
    .venv/bin/python bench/live_latency.py --hold 1000       # scenario 3 only

How the clock works: the benchmark logs every account in under a second app (`bench`), so
cloudsim pushes each device update to the benchmark's own cloud socket at the same moment
as to the worker's. Every load event sets a sensor's `temperature` to n % 6000 (n = the
event's number in the load run), so (deviceid, value) identifies an event both in the cloud
frame and in the page's `thing` frame. Cloud and page sockets live in
this one process and are stamped with `time.perf_counter()` on receipt; frames are stored
raw and parsed after each window, so the measuring costs as little CPU as possible.

See bench/README.md for the options and how to read the output.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live import log  # noqa: E402
from bench.live.analysis import DEVICE_TYPES, Matcher, Recorder, RunResult  # noqa: E402
from bench.live.load import MAX_CLOCKED, Load  # noqa: E402
from bench.live.probes import Probes  # noqa: E402
from bench.live.processes import Meter  # noqa: E402
from bench.live.report import report  # noqa: E402
from bench.live.stack import Stack  # noqa: E402


class Bench:
    """The phases of one run: which processes start, which windows run, in what order."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.facts: dict[str, Any] = {}  # figures for the report, beside the windows' results
        self.stack = Stack(
            self.facts,
            redis_url=args.redis_url,
            database_url=args.database_url,
            worker_governor=args.worker_governor,
            event_loop=args.event_loop,
            stall_seconds=args.stall_seconds,
        )
        self.rec = Recorder()
        self.match = Matcher.for_uiid(args.uiid)
        self.load = Load(self.stack, self.rec, self.match, dump=args.dump)
        self.probes = Probes(self.stack, self.rec, args.snapshot_timeout)
        self.results: list[RunResult] = []  # every window's, in the order they ran

    async def run(self) -> None:
        args, stack = self.args, self.stack
        stack.start_redis_and_cloudsim()
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            stack.session = http
            try:
                await stack.make_accounts(args.accounts, args.devices, args.uiid)
                self.match.start_from(stack.first_params)
                await asyncio.to_thread(stack.migrate_and_link)
                self.match.thing_device = stack.thing_device
                await self.load.open_clock()
                if args.hold:
                    await self.hold_phase()
                else:
                    if args.relay == "separate":
                        await self.relay_alone()
                    await self.ours_phase()
            finally:
                self.probes.cancel()
                await self.load.close()

    async def window(
        self,
        label: str,
        rate: float,
        seconds: float,
        listeners: dict[str, int],
        during: Callable[[], Coroutine[Any, Any, Any]] | None = None,
    ) -> None:
        self.results += await self.load.run(label, rate, seconds, listeners, during)

    async def ours_phase(self) -> None:
        """Scenario 1 and the sweep on our stack (with the relay in the same windows)."""
        args, stack, probes = self.args, self.stack, self.probes
        relay_clients: list[aiohttp.ClientWebSocketResponse] = []
        if args.relay == "concurrent":
            relay_clients = await self.start_relay()
        port = stack.start_web_and_worker()
        started = time.monotonic()
        await stack.wait_for_http(port)
        log(f"daphne up on {port} in {time.monotonic() - started:.1f} s; waiting for the worker")
        held = await stack.wait_held(
            len(stack.accounts), args.hold_timeout, len(self.load.clock_sockets)
        )
        self.facts["hold_seconds"] = held
        log(f"worker holds all {len(stack.accounts)} accounts after {held:.1f} s")
        pages = await probes.open_pages(port, args.listeners)
        probes.start_tap()
        await asyncio.sleep(2)
        listeners = {"ours": args.listeners}
        if relay_clients:
            listeners["relay"] = args.listeners
        await self.window(
            "ours",
            args.rate,
            args.seconds,
            listeners=listeners,
            during=lambda: probes.run_controls(pages[0], args.controls),
        )
        for rate in args.sweep:
            await self.window("ours sweep", rate, args.sweep_seconds, listeners=listeners)
        self.facts["alive"] = await stack.alive()
        for ws in pages:
            await ws.close()
        if relay_clients:
            await self.stop_relay(relay_clients)

    async def relay_alone(self) -> None:
        """--relay separate: the relay's windows first, before our stack starts."""
        args = self.args
        clients = await self.start_relay()
        await asyncio.sleep(1)
        only = {"relay": args.listeners}
        await self.window("relay", args.rate, args.seconds, listeners=only)
        for rate in args.sweep:
            await self.window("relay sweep", rate, args.sweep_seconds, listeners=only)
        await self.stop_relay(clients)
        started = time.monotonic()
        await self.load.restore_driven()
        log(f"driven devices back to their stored values in {time.monotonic() - started:.1f} s")

    async def hold_phase(self) -> None:
        """Scenario 3: N accounts held by one worker; time to hold all, worker RSS."""
        args, stack, probes = self.args, self.stack, self.probes
        port = stack.start_web_and_worker()
        await stack.wait_for_http(port)
        worker = psutil.Process(stack.worker_pid())
        started = time.monotonic()
        held = await stack.wait_held(
            len(stack.accounts), args.hold_timeout, len(self.load.clock_sockets)
        )
        self.facts["hold_seconds"] = held
        self.facts["hold_rss_mib"] = worker.memory_info().rss / 2**20
        log(
            f"worker holds all {len(stack.accounts)} accounts after {held:.1f} s; "
            f"RSS {self.facts['hold_rss_mib']:.0f} MiB"
        )
        pages = await probes.open_pages(port, args.listeners)
        relay_clients = await self.start_relay() if args.relay == "concurrent" else []
        probes.start_tap()
        await asyncio.sleep(2)
        listeners = {"ours": args.listeners}
        if relay_clients:
            listeners["relay"] = args.listeners
        await self.window("hold", args.rate, args.seconds, listeners=listeners)
        await asyncio.sleep(max(0.0, 5 - (time.monotonic() - started)))
        self.facts["hold_rss_after_mib"] = worker.memory_info().rss / 2**20
        self.facts["usage_end"] = Meter(stack.procs.pids()).read()
        self.facts["alive"] = await stack.alive()
        for ws in pages:
            await ws.close()
        if relay_clients:
            await self.stop_relay(relay_clients)

    async def start_relay(self) -> list[aiohttp.ClientWebSocketResponse]:
        """The relay listens on the accounts the load drives (all but in a large hold: a
        socket for each of 10,000 more would pass cloudsim's descriptor limit)."""
        driven = self.stack.accounts[:MAX_CLOCKED]
        port = await self.stack.start_relay(driven)
        clients = await self.probes.open_relay_clients(port, self.args.listeners)
        log(f"bare relay up: {len(driven)} cloud sockets (app 'relay'), {len(clients)} listeners")
        return clients

    async def stop_relay(self, clients: list[aiohttp.ClientWebSocketResponse]) -> None:
        for ws in clients:
            await ws.close()
        self.stack.stop_relay()

    def report(self) -> str:
        probes = self.probes
        return report(self.args, self.results, self.facts, probes.controls, probes.control_failures)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--devices", type=int, default=25, help="devices per account")
    parser.add_argument(
        "--uiid",
        type=int,
        choices=sorted(DEVICE_TYPES),
        default=1770,
        help="device type the load drives (see DEVICE_TYPES)",
    )
    parser.add_argument("--rate", type=float, default=200, help="events/s of scenario 1")
    parser.add_argument("--seconds", type=float, default=25, help="load window of scenario 1")
    parser.add_argument("--listeners", type=int, default=10, help="page sockets (K)")
    parser.add_argument(
        "--sweep",
        type=lambda s: [float(x) for x in s.split(",") if x],
        default=[200, 400, 600, 800],
        help="rates of the sweep ('' = none)",
    )
    parser.add_argument("--sweep-seconds", type=float, default=10)
    parser.add_argument("--controls", type=int, default=40, help="commands during scenario 1")
    parser.add_argument(
        "--snapshot-timeout",
        type=float,
        default=30,
        help="seconds a page socket may wait for its snapshot before the run fails",
    )
    parser.add_argument(
        "--hold", type=int, default=0, help="scenario 3 only: this many accounts held by one worker"
    )
    parser.add_argument("--hold-devices", type=int, default=4)
    parser.add_argument(
        "--hold-timeout",
        type=float,
        default=0,
        help="seconds to wait for the worker to hold every account (0 = auto)",
    )
    parser.add_argument(
        "--worker-governor",
        choices=["on", "off"],
        default="on",
        help="'off' runs the worker with the cloud etiquette governor disabled",
    )
    parser.add_argument(
        "--event-loop",
        choices=["uvloop", "asyncio"],
        default="uvloop",
        help="the loop of Daphne and the worker (DASHBOARD_EVENT_LOOP); 'asyncio' for an A/B",
    )
    parser.add_argument(
        "--relay",
        choices=["concurrent", "separate", "off"],
        default="concurrent",
        help="bare relay: in the same windows as ours (default), in its own "
        "windows before our stack starts, or not at all",
    )
    parser.add_argument("--database-url", default="", help="e.g. postgres://... (default SQLite)")
    parser.add_argument(
        "--redis-url", default="", help="an existing Redis (default: a private embedded one)"
    )
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (logs, db)")
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=30,
        help="go on with a partial hold after this long without a new socket",
    )
    parser.add_argument("--dump", action="store_true", help="save raw frames (with --keep-tmp)")
    parser.add_argument("--quick", action="store_true", help="small and short (~1-2 minutes)")
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.devices = min(args.accounts, 20), min(args.devices, 10)
        args.seconds, args.sweep, args.sweep_seconds = 8, [200, 600], 5
        args.controls = min(args.controls, 10)
    if args.hold:
        args.accounts, args.devices = args.hold, args.hold_devices
        args.sweep = []
        if args.relay == "separate":
            parser.error("--hold runs the relay in its window (the default) or not at all")
    if not args.hold_timeout:
        # One shared dispatch answer per region: connects are not paced one by one.
        args.hold_timeout = 60 + args.accounts * 0.05
    return args


def main() -> None:
    args = parse_args()
    bench = Bench(args)

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    failed = False
    try:
        asyncio.run(bench.run())
    except KeyboardInterrupt:
        log("interrupted")
        failed = True
    except Exception as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        failed = True
        args.keep_tmp = True
    finally:
        bench.stack.cleanup(args.keep_tmp)
    if bench.results:
        print(bench.report())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
