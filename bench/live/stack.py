"""The processes `bench/live_latency.py` starts and stops, and the world it sets up in them.

A private Redis, cloudsim with its accounts and devices, the Django database (migrated, one
household linked to every account), Daphne and the realtime worker as in production, and the
bare relay's two processes. `Stack` starts them; `Stack.cleanup()` stops every one of them,
whatever happened before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from bench.live import log
from bench.live.processes import Processes, free_port, ready_line
from cloudsim.testing import RunningCloudsim, start_cloudsim

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
# One cloudsim app per client: the worker's (`dash`), the benchmark's clock, the bare relay.
APPS = {
    "dash": ("benchdashapp0000000000000000000", "benchdashsecret00000000000000000"),
    "bench": ("benchclockapp000000000000000000", "benchclocksecret0000000000000000"),
    "relay": ("benchrelayapp000000000000000000", "benchrelaysecret0000000000000000"),
}
OWNER_EMAIL = "owner@bench.example.com"
OWNER_PASSWORD = "bench-owner-Pa55word!"  # noqa: S105 - a throwaway local user
SWITCH_UIID = 1  # the one switch the command round-trip toggles
CONTROL_TIMEOUT = aiohttp.ClientTimeout(total=60)


class Stack:
    """One run's processes and what was set up in them (accounts, household, things).

    Start order: `start_redis_and_cloudsim()`, set `session`, `make_accounts()`,
    `migrate_and_link()`, then `start_web_and_worker()` (and `start_relay()` if wanted);
    `cleanup()` at the end, always. `facts` collects figures for the report.
    """

    def __init__(
        self,
        facts: dict[str, Any],
        *,
        redis_url: str,
        database_url: str,
        worker_governor: str,
        event_loop: str = "uvloop",
        stall_seconds: float,
    ) -> None:
        self.facts = facts
        self.given_redis_url = redis_url  # '' = start a private embedded Redis
        self.database_url = database_url  # '' = a SQLite file in the temp dir
        self.worker_governor = worker_governor
        self.event_loop = event_loop
        self.stall_seconds = stall_seconds
        self.tmp = Path(tempfile.mkdtemp(prefix="live-bench-"))
        self.procs = Processes()
        self.redis_url = ""
        self.env: dict[str, str] = {}
        self.session: aiohttp.ClientSession | None = None  # the run's, set once its loop runs
        self.accounts: list[dict[str, Any]] = []  # email, password, apikey, meters, switch
        self.first_params: dict[str, dict[str, Any]] = {}  # deviceid → params when created
        self.household = 0
        self.thing_device: dict[int, str] = {}  # thing pk → deviceid
        self.switch_pk: int | None = None
        self.relay_sockets = 0  # the relay's cloud sockets, while it runs

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self.session is not None, "the run sets Stack.session first"
        return self.session

    @property
    def sim(self) -> RunningCloudsim:
        assert self.procs.sim is not None, "cloudsim is not started"
        return self.procs.sim

    # -- Redis, cloudsim, Django -------------------------------------------------------------

    def start_redis_and_cloudsim(self) -> None:
        self._start_redis()
        args: list[str] = []
        for appid, secret in APPS.values():
            args += ["--app", f"{appid}:{secret}"]
        self.procs.sim = start_cloudsim(*args)
        log(f"cloudsim up at {self.procs.sim.base_url} (pid {self.procs.sim.pid})")
        self.env = self._django_env()

    def _start_redis(self) -> None:
        if self.given_redis_url:
            self.redis_url = self.given_redis_url
            return
        from dashboard.embedded_redis import command, is_up, prepare

        path = self.tmp / "redis.sock"
        prepare(path)
        proc = subprocess.Popen(command(path), stdout=subprocess.DEVNULL)
        self.procs.add("redis", proc)
        deadline = time.monotonic() + 10
        while not is_up(path):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("embedded Redis did not start")
            time.sleep(0.05)
        self.redis_url = f"unix://{path}"

    def _django_env(self) -> dict[str, str]:
        appid, secret = APPS["dash"]
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DATABASE_URL": self.database_url or f"sqlite:///{self.tmp / 'db.sqlite3'}",
            "REDIS_URL": self.redis_url,
            "CHANNELS_PREFIX": f"bench{os.getpid()}",
            "VAR_DIR": str(self.tmp / "var"),
            "EWELINK_BASE_URL": self.sim.api_template,
            "EWELINK_APP_ID": appid,
            "EWELINK_APP_SECRET": secret,
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "DASHBOARD_EVENT_LOOP": self.event_loop,
        }

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        """cloudsim's control API (`/_sim/...`): accounts, devices, load, counters."""
        url = self.sim.control_url + path
        try:
            async with self.http.request(method, url, json=body, timeout=CONTROL_TIMEOUT) as resp:
                text = await resp.text()
        except TimeoutError:  # e.g. cloudsim out of file descriptors: fail, never hang
            raise RuntimeError(f"{method} {path}: cloudsim did not answer within 60 s") from None
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path}: {resp.status} {text}")
        return json.loads(text or "null")

    async def make_accounts(self, count: int, devices: int, uiid: int) -> None:
        """`count` cloudsim accounts of `devices` devices of `uiid`; account 0 also a switch."""
        gate = asyncio.Semaphore(16)
        started = time.monotonic()

        async def device(owner: str, uiid: int, name: str) -> dict[str, Any]:
            body = {"owner": owner, "uiid": uiid, "name": name}
            return dict(await self.control("POST", "/devices", body))

        async def one(i: int) -> dict[str, Any]:
            async with gate:
                email, password = f"bench{i}@example.com", f"pw-{i}"
                body = {
                    "region": "eu",
                    "email": email,
                    "password": password,
                    "countryCode": "+44",
                    "nickname": f"bench {i}",
                }
                acc = await self.control("POST", "/accounts", body)
                meters = []
                for n in range(devices):
                    dev = await device(acc["apikey"], uiid, f"dev {i}.{n}")
                    meters.append(dev["deviceid"])
                    self.first_params[dev["deviceid"]] = dev["params"]
                switch = None
                if i == 0:
                    switch = (await device(acc["apikey"], SWITCH_UIID, "bench switch"))["deviceid"]
                return {
                    "email": email,
                    "password": password,
                    "apikey": acc["apikey"],
                    "meters": meters,
                    "switch": switch,
                }

        self.accounts = list(await asyncio.gather(*(one(i) for i in range(count))))
        log(f"cloudsim: {count} accounts x {devices} meters in {time.monotonic() - started:.1f} s")

    def migrate_and_link(self) -> None:
        """`migrate`, then bootstrap.py: one owner, one household, every account linked."""
        started = time.monotonic()
        out = subprocess.run(
            [PY, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode:
            raise RuntimeError(f"migrate failed:\n{out.stderr[-3000:]}")
        log(
            f"migrated in {time.monotonic() - started:.1f} s; linking {len(self.accounts)} accounts"
        )
        spec = {
            "owner_email": OWNER_EMAIL,
            "owner_password": OWNER_PASSWORD,
            "household": "Bench household",
            "accounts": [{"email": a["email"], "password": a["password"]} for a in self.accounts],
        }
        out = subprocess.run(
            [PY, str(ROOT / "bench" / "live" / "bootstrap.py")],
            cwd=ROOT,
            env=self.env,
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            timeout=60 + 2 * len(self.accounts),
        )
        if out.returncode:
            raise RuntimeError(f"bootstrap failed:\n{out.stderr[-3000:]}")
        info = json.loads(out.stdout.strip().splitlines()[-1])
        self.household = info["household"]
        self.thing_device = {int(k): v for k, v in info["things"].items()}
        switch = self.accounts[0]["switch"]
        self.switch_pk = next(pk for pk, d in self.thing_device.items() if d == switch)
        self.facts["link_seconds"] = info["seconds"]
        log(
            f"linked and synced {info['accounts']} accounts ({len(self.thing_device)} things) "
            f"in {info['seconds']} s"
        )

    # -- Daphne and the realtime worker ------------------------------------------------------

    def start_web_and_worker(self) -> int:
        """Daphne (`dashboard.serve`) and `manage.py run_realtime` as in production; returns
        Daphne's port."""
        port = free_port()
        logs = self.tmp / "logs"
        logs.mkdir(exist_ok=True)
        argv = ["-b", "127.0.0.1", "-p", str(port), "dashboard.asgi:application"]
        daphne = subprocess.Popen(
            [PY, "-m", "dashboard.serve", *argv],
            cwd=ROOT,
            env=self.env,
            stdout=open(logs / "daphne.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        self.procs.add("daphne", daphne)
        cmd = [PY, "manage.py", "run_realtime"]
        if self.worker_governor == "off":
            # After django.setup(): AccountsConfig.ready() installs the shared Redis governor.
            cmd = [
                PY,
                "-c",
                "import django\ndjango.setup()\n"
                "import ewelink\n"
                "ewelink.set_default_governor(ewelink.Governor(enabled=False))\n"
                "from django.core.management import call_command\n"
                "call_command('run_realtime')\n",
            ]
        worker = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=open(logs / "worker.log", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        self.procs.add("worker", worker)
        return port

    def worker_pid(self) -> int:
        return self.procs.procs["worker"].pid

    async def wait_for_http(self, port: int, within_s: float = 60) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with self.http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status < 500:
                        return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"daphne did not answer on port {port}; see {self.tmp}/logs")

    async def wait_held(self, count: int, within_s: float, clock_sockets: int) -> float:
        """Until the worker holds every account: a lease each, and its cloud socket up.

        cloudsim counts every socket: the benchmark's clock (`clock_sockets`) and the relay's
        are taken off to leave the worker's."""
        redis = aioredis.Redis.from_url(self.redis_url, decode_responses=True)
        started = time.monotonic()
        last_report = 0.0
        baseline = clock_sockets + self.relay_sockets
        best, best_at = -1, time.monotonic()
        try:
            while time.monotonic() - started < within_s:
                leases = len(
                    [k async for k in redis.scan_iter("dash:realtime:lease:*", count=1000)]
                )
                counters = await self.control("GET", "/counters")
                live = counters["connections"] - baseline
                if leases >= count and live >= count:
                    alive = {
                        k: await redis.get(k)
                        async for k in redis.scan_iter("dash:realtime:alive:*")
                    }
                    self.facts["alive"] = alive
                    return time.monotonic() - started
                if self.procs.procs["worker"].poll() is not None:
                    raise RuntimeError(f"the realtime worker exited; see {self.tmp}/logs")
                if live > best:
                    best, best_at = live, time.monotonic()
                elif leases >= count and time.monotonic() - best_at > self.stall_seconds:
                    # Every lease taken but no new cloud socket for a while: the worker is
                    # stuck (see the report); measure what it does hold.
                    log(
                        f"  STALLED: the worker took all {count} leases but holds only {live} "
                        f"cloud sockets, none new for {self.stall_seconds:.0f} s; going on"
                    )
                    self.facts["held_partial"] = (live, count)
                    self.facts["alive"] = await self.alive()
                    return time.monotonic() - started
                if time.monotonic() - last_report > 15:
                    last_report = time.monotonic()
                    log(f"  worker holds {leases} leases, {live} cloud sockets of {count}")
                await asyncio.sleep(0.5)
        finally:
            await redis.aclose()
        raise RuntimeError(f"the worker did not hold {count} accounts in {within_s:.0f} s")

    async def alive(self) -> dict[str, str]:
        """The workers' alive keys: accounts held per worker."""
        redis = aioredis.Redis.from_url(self.redis_url, decode_responses=True)
        try:
            return {k: await redis.get(k) async for k in redis.scan_iter("dash:realtime:alive:*")}
        finally:
            await redis.aclose()

    # -- the bare relay ------------------------------------------------------------------------

    async def start_relay(self, accounts: list[dict[str, Any]]) -> int:
        """The bare relay's two processes on the same cloud, with a socket for each of
        `accounts` (app `relay`); returns the port its listeners connect to."""
        appid, secret = APPS["relay"]
        spec = {
            "redis": self.redis_url,
            "channel": f"bench:relay:{os.getpid()}",
            "api": self.sim.api("eu"),
            "dispatch": self.sim.info["regions"]["eu"]["dispatch"],
            "appid": appid,
            "secret": secret,
            "accounts": [{"email": a["email"], "password": a["password"]} for a in accounts],
        }
        spec_file = self.tmp / "relay.json"
        spec_file.write_text(json.dumps(spec))
        port = free_port()
        relay = str(ROOT / "bench" / "live" / "relay.py")
        serve = subprocess.Popen(  # noqa: ASYNC220 - starting it is quick; output via to_thread
            [
                PY,
                relay,
                "serve",
                "--port",
                str(port),
                "--redis",
                self.redis_url,
                "--channel",
                spec["channel"],
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.procs.add("relay-web", serve)
        await ready_line(serve, 30)
        ingest = subprocess.Popen(  # noqa: ASYNC220 - as above
            [PY, relay, "ingest", "--spec", str(spec_file)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.procs.add("relay-ingest", ingest)
        await ready_line(ingest, 60 + len(self.accounts) * 0.2)
        self.relay_sockets = len(self.accounts)
        return port

    def stop_relay(self) -> None:
        self.procs.stop("relay-ingest")
        self.procs.stop("relay-web")
        self.relay_sockets = 0

    def cleanup(self, keep_tmp: bool) -> None:
        self.procs.stop_all()
        if keep_tmp:
            log(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
