"""Helpers for tests of any package: a cloudsim subprocess, or one inside the test's loop.

sim = start_cloudsim("--demo")          # subprocess; sim.control("GET", "/health")
async with serve_in_process(demo=True) as sim:
    await sim.acontrol("POST", "/accounts", {...})

Shortcuts, sync on the subprocess handle and `a`-prefixed async in process:
`clock()` / `advance_clock(s)` / `set_clock(iso)` (the cloud's clock; moving it runs the
timers that became due) and `set_ota(deviceid, outcome=..., version=...)`.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from .app import build_app, ready_info, start_site
from .config import AppCredential, SimConfig
from .keys import CLOUD


class ControlError(RuntimeError):
    """A control call answered with a non-2xx status; the message carries the body."""


class _Handle:
    info: dict[str, Any]
    base_url: str
    api_template: str
    control_url: str
    appid: str
    secret: str

    def _adopt(self, info: dict[str, Any]) -> None:
        self.info = info
        self.base_url = info["base_url"]
        self.api_template = info["api_template"]
        self.control_url = info["control"]
        self.appid = info["apps"][0]["appid"]
        self.secret = info["apps"][0]["secret"]

    def api(self, region: str) -> str:
        """Base URL of one region's REST API."""
        return self.api_template.format(region=region)


def ota_body(outcome: str | None, version: str | None) -> dict[str, Any]:
    body = {"outcome": outcome, "version": version}
    return {k: v for k, v in body.items() if v is not None}


class RunningCloudsim(_Handle):
    """A started cloudsim subprocess."""

    def __init__(
        self, process: subprocess.Popen[bytes], info: dict[str, Any], stderr_path: str
    ) -> None:
        self.process = process
        self.stderr_path = stderr_path
        self._adopt(info)
        # The control API is our own loopback server; its TLS cert is usually self-signed.
        self._ssl = ssl.create_default_context()
        self._ssl.check_hostname = False
        self._ssl.verify_mode = ssl.CERT_NONE

    @property
    def pid(self) -> int:
        return self.process.pid

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Synchronous JSON call to `/_sim{path}`; raises ControlError on non-2xx."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) only
            self.control_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30, context=self._ssl) as response:  # noqa: S310 - http(s) only
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise ControlError(f"{method} {path} → {exc.code}: {detail}") from None

    def clock(self) -> dict[str, Any]:
        """`{"now": ISO, "offset_s": s}`: the cloud's clock that device timers run on."""
        reply: dict[str, Any] = self.control("GET", "/clock")
        return reply

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the clock forward and run the timers due meanwhile; `fired` counts them."""
        reply: dict[str, Any] = self.control("POST", "/clock", {"advance_s": seconds})
        return reply

    def set_clock(self, when: str) -> dict[str, Any]:
        """Move the clock forward to an ISO time (never back)."""
        reply: dict[str, Any] = self.control("POST", "/clock", {"set": when})
        return reply

    def set_ota(
        self, deviceid: str, *, outcome: str | None = None, version: str | None = None
    ) -> dict[str, Any]:
        """What the device's upgrades do (succeed, fail, hang) and/or the version offered."""
        reply: dict[str, Any] = self.control(
            "POST", f"/devices/{deviceid}/ota", ota_body(outcome, version)
        )
        return reply

    def stderr_text(self) -> str:
        with open(self.stderr_path, errors="replace") as handle:
            return handle.read()

    def stop(self) -> None:
        """SIGTERM, wait up to 5 s, then kill."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        with contextlib.suppress(OSError):
            os.unlink(self.stderr_path)

    def __enter__(self) -> RunningCloudsim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_cloudsim(
    *extra_args: str, env: dict[str, str] | None = None, timeout: float = 20
) -> RunningCloudsim:
    """Run `python -m cloudsim --host 127.0.0.1 --port 0 ...` and read its ready line."""
    command = [sys.executable, "-m", "cloudsim", "--host", "127.0.0.1", "--port", "0", *extra_args]
    fd, stderr_path = tempfile.mkstemp(prefix="cloudsim-", suffix=".log")
    with os.fdopen(fd, "wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, **(env or {})},
        )
    line = _read_line(process, timeout)
    if not line:
        process.kill()
        process.wait()
        with open(stderr_path, errors="replace") as handle:
            detail = handle.read()[-4000:]
        raise RuntimeError(f"cloudsim did not start: {detail}")
    return RunningCloudsim(process, json.loads(line), stderr_path)


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=0.1):
                return process.stdout.readline()
    finally:
        selector.close()
    return b""


class InProcessCloudsim(_Handle):
    """A cloudsim running inside the caller's event loop (fast tests)."""

    def __init__(self, app: web.Application, session: aiohttp.ClientSession) -> None:
        self.app = app
        self.cloud = app[CLOUD]
        self._session = session
        self._adopt(ready_info(self.cloud))

    async def acontrol(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Async JSON call to `/_sim{path}`; raises ControlError on non-2xx."""
        async with self._session.request(
            method, self.control_url + path, json=body, ssl=False
        ) as response:
            text = await response.text()
            if response.status >= 300:
                raise ControlError(f"{method} {path} → {response.status}: {text}")
            return json.loads(text or "null")

    async def aclock(self) -> dict[str, Any]:
        reply: dict[str, Any] = await self.acontrol("GET", "/clock")
        return reply

    async def aadvance_clock(self, seconds: float) -> dict[str, Any]:
        reply: dict[str, Any] = await self.acontrol("POST", "/clock", {"advance_s": seconds})
        return reply

    async def aset_clock(self, when: str) -> dict[str, Any]:
        reply: dict[str, Any] = await self.acontrol("POST", "/clock", {"set": when})
        return reply

    async def aset_ota(
        self, deviceid: str, *, outcome: str | None = None, version: str | None = None
    ) -> dict[str, Any]:
        reply: dict[str, Any] = await self.acontrol(
            "POST", f"/devices/{deviceid}/ota", ota_body(outcome, version)
        )
        return reply


def config_from(options: dict[str, Any]) -> SimConfig:
    apps = [
        a if isinstance(a, AppCredential) else AppCredential(*str(a).split(":", 1))
        for a in options.pop("apps", [])
    ]
    options.setdefault("port", 0)
    return SimConfig(apps=apps, **options)


@contextlib.asynccontextmanager
async def serve_in_process(**options: Any) -> AsyncIterator[InProcessCloudsim]:
    """`async with serve_in_process(demo=True) as sim:` — SimConfig fields as keywords."""
    ssl_context = options.pop("ssl_context", None)
    app = build_app(config_from(options))
    runner = await start_site(app, ssl_context)
    try:
        async with aiohttp.ClientSession() as session:
            yield InProcessCloudsim(app, session)
    finally:
        await runner.cleanup()
