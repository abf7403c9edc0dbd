"""Load windows of `bench/live_latency.py`: the cloud clock, one window, the drain after it.

The clock is one cloud socket per account under the benchmark's own app (`bench`): cloudsim
pushes each device update to it at the same moment as to the worker's socket, so its receipt
time is when the event left the cloud.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from bench.live import log
from bench.live.analysis import Matcher, Recorder, RunResult, analyse
from bench.live.cloud import keep_pinging, login, open_socket
from bench.live.processes import Meter
from bench.live.report import run_line
from bench.live.stack import APPS, Stack

GRACE_S = 5.0  # after the load stops, how long a late frame may still count
DRAIN_MAX_S = 90.0  # between windows, how long to wait for a backlog to drain
QUIET_S = 1.5  # no page frame for this long: the pipeline is empty
MAX_CLOCKED = 2_000  # accounts the benchmark's clock listens on (see Load.open_clock)


class Load:
    """Drives cloudsim's load on `stack`'s devices and measures each window."""

    def __init__(self, stack: Stack, rec: Recorder, match: Matcher, dump: bool) -> None:
        self.stack = stack
        self.rec = rec
        self.match = match
        self.dump = dump  # save each window's raw frames in the temp dir
        self.clock_sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.driven: list[str] = []  # the devices the load drives: the clocked accounts'
        self.tasks: list[asyncio.Task[Any]] = []
        self.results = 0  # results produced so far: numbers the windows' shuffles and dumps

    async def open_clock(self) -> None:
        """One socket per account under app `bench`: the moment cloudsim pushes.

        At most `MAX_CLOCKED` accounts are clocked, and the load drives only their devices:
        cloudsim holds a socket per account for the worker and one per clocked account, and a
        process here may open 20,000 descriptors at most (a hard limit it cannot raise), so a
        clock on each of 10,000 accounts left the last sockets and the control API unserved.
        """
        stack = self.stack
        clocked = stack.accounts[:MAX_CLOCKED]
        self.driven = [d for a in clocked for d in a["meters"]]
        http, sim = stack.http, stack.sim
        appid, secret = APPS["bench"]
        gate = asyncio.Semaphore(20)

        async def one(acc: dict[str, Any]) -> aiohttp.ClientWebSocketResponse:
            async with gate:
                tok = await login(http, sim.api("eu"), appid, secret, acc["email"], acc["password"])
                return await open_socket(
                    http,
                    sim.info["regions"]["eu"]["dispatch"],
                    appid,
                    tok["at"],
                    tok["apikey"],
                )

        self.clock_sockets = list(await asyncio.gather(*(one(a) for a in clocked)))
        for ws in self.clock_sockets:
            self.tasks.append(asyncio.create_task(self._read_cloud(ws)))
        self.tasks.append(asyncio.create_task(keep_pinging(self.clock_sockets)))
        log(
            f"benchmark clock: {len(self.clock_sockets)} cloud sockets under app 'bench' "
            f"(the load drives their {len(self.driven)} devices)"
        )

    async def _read_cloud(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        rec = self.rec
        clock = time.perf_counter
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT and rec.recording:
                rec.cloud.append((clock(), msg.data))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for ws in self.clock_sockets:
            with contextlib.suppress(Exception):
                await ws.close()

    async def restore_driven(self) -> None:
        """Put the driven devices' measured value back to what linking stored, and expect
        that again (`--relay separate`, after the relay's windows).

        Our worker did not run during those windows: it starts from the stored state, and
        an account's first resync (paced by the cloud-etiquette governor) may come after the
        window starts. A device the load then set back to its stored value sent rightly no
        frame, yet the count of the relay's windows expected one: one "lost" event per run,
        the same device and value each time (issue 18)."""
        first, key = self.stack.first_params, self.match.param
        gate = asyncio.Semaphore(50)

        async def one(deviceid: str) -> None:
            async with gate:
                body = {"params": {key: first[deviceid][key]}}
                await self.stack.control("POST", f"/devices/{deviceid}/params", body)

        await asyncio.gather(*(one(d) for d in self.driven if key in first.get(d, {})))
        self.match.start_from({d: first[d] for d in self.driven if d in first})

    async def run(
        self,
        label: str,
        rate: float,
        seconds: float,
        listeners: dict[str, int],
        during: Callable[[], Coroutine[Any, Any, Any]] | None = None,
    ) -> list[RunResult]:
        """One load window; a result per listening stack ("ours", "relay")."""
        stack, rec = self.stack, self.rec
        rec.reset(listeners)
        meter = Meter(stack.procs.pids())
        started = time.perf_counter()
        rec.recording = True
        # The load numbers its events from 0 in every run and sets value n % 6000 on the n-th
        # device of the list: a new order per run keeps devices from getting the value they
        # already have (such events would change nothing a page can see).
        order = list(self.driven)
        random.Random(self.results).shuffle(order)
        body = {"rate": rate, "duration": seconds, "deviceids": order}
        await stack.control("POST", "/load", body)
        side = asyncio.create_task(during()) if during else None
        status: dict[str, Any] = {}
        for _ in range(int(seconds * 10) + 600):  # bounded: the run's length plus a minute
            await asyncio.sleep(0.1)
            status = await stack.control("GET", "/load")
            if not status["running"]:
                break
        else:
            await stack.control("DELETE", "/load")
        window = time.perf_counter() - started
        usage = meter.read()
        if side is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(side, 30)
        # Let late frames in: until every expected event reached every listener, or GRACE_S.
        deadline = time.perf_counter() + GRACE_S
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.25)
            if all(self.match.all_delivered(rec, kind) for kind in listeners):
                break
        rec.recording = False
        if self.dump:
            self._dump(started)
        events, unchanged = self.match.cloud_events(rec.cloud)
        out = []
        for kind, count in listeners.items():
            name = label if kind == "ours" else _relay_label(label)
            result = analyse(
                self.match, rec, name, rate, window, status, count, kind, usage, events, unchanged
            )
            log(run_line(result))
            out.append(result)
        backlog = await self._drain()
        for r in out:
            r.drain_s = max(0.0, backlog)
        self.results += len(out)
        return out

    def _dump(self, started: float) -> None:
        rec = self.rec
        dump = self.stack.tmp / f"dump-{self.results}.json"
        dump.write_text(
            json.dumps(
                {
                    "cloud": rec.cloud,
                    "pages": rec.pages,
                    "tap": [(t, d.hex()) for t, d in rec.tap],
                    "things": self.match.thing_device,
                    "started": started,
                }
            )
        )

    async def _drain(self) -> float:
        """Start the next window from an empty pipeline: wait until no page frame came for
        QUIET_S (a backlog left in Daphne would otherwise land in the next window). Returns
        how long frames kept coming."""
        drained = time.perf_counter()
        seen, quiet_since = self.rec.frames, time.perf_counter()
        while time.perf_counter() - drained < DRAIN_MAX_S:
            await asyncio.sleep(0.25)
            if self.rec.frames != seen:
                seen, quiet_since = self.rec.frames, time.perf_counter()
            elif time.perf_counter() - quiet_since >= QUIET_S:
                break
        backlog = time.perf_counter() - drained - QUIET_S
        if backlog > 1:
            log(f"  pipeline drained {backlog:.1f} s after the grace period")
        return backlog


def _relay_label(label: str) -> str:
    """The relay's name for a window: ours sweep → relay sweep, hold → relay hold (the
    relay's own windows, with `--relay separate`, are named so already)."""
    if "ours" in label:
        return label.replace("ours", "relay")
    return label if label.startswith("relay") else f"relay {label}"
