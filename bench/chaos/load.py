"""The load: browser-like page sockets that ack and reconnect, members' controls, and
devices changing in the cloud at a steady rate."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.chaos.stack import OWNER_EMAIL, OWNER_PASSWORD

ACK_EVERY = 20  # frames, as live.js does in batches
FINAL = {"ok", "offline", "timeout", "error", "invalid", "not_allowed", "rate_limited"}
RESULT_WAIT_S = 30.0  # a control with no final result after this long is a silent loss


async def sign_in(base: str) -> str:
    """Sign in through the login form like a browser; returns the Cookie header."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(base + "/accounts/login/") as resp:
            page = await resp.text()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not found:
            raise RuntimeError("no CSRF token on the login page")
        form = {
            "csrfmiddlewaretoken": found.group(1),
            "username": OWNER_EMAIL,
            "password": OWNER_PASSWORD,
            "next": "/",
        }
        headers = {"Origin": base, "Referer": base + "/accounts/login/"}
        async with http.post(
            base + "/accounts/login/", data=form, headers=headers, allow_redirects=False
        ) as resp:
            if resp.status != 302:
                raise RuntimeError(f"login failed: HTTP {resp.status}")
        cookies = {c.key: c.value for c in jar}
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


@dataclass
class Control:
    request: str
    thing: int
    value: bool
    page: int
    sent: float
    socket_gen: int  # which connection of the page carried it
    results: list[str] = field(default_factory=list)
    interrupted: bool = False  # its socket closed before a final result (the page says so)


@dataclass
class Page:
    """One open dashboard tab: a socket that keeps the things' state as live.js does."""

    index: int
    port: int
    cookie: str
    state: dict[int, dict[str, Any]] = field(default_factory=dict)  # thing → {state, online}
    seen: dict[tuple[int, bool], list[float]] = field(default_factory=dict)  # → times shown
    ws: aiohttp.ClientWebSocketResponse | None = None
    gen: int = 0
    acking: bool = True
    frames: int = 0
    closes: list[int | None] = field(default_factory=list)
    live: bool = False
    parts: dict[str, Any] = field(default_factory=dict)  # snapshot_part things so far


class Load:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        control_url: str,
        things: dict[int, str],
        seed: int,
    ) -> None:
        self.http = http
        self.control_url = control_url
        self.things = things  # pk → deviceid
        self.device_thing = {d: pk for pk, d in things.items()}
        self.rng = random.Random(seed)
        self.pages: list[Page] = []
        self.controls: dict[str, Control] = {}
        self.changes: list[tuple[float, int, bool]] = []  # (t, thing, value) pushed by cloud
        self.last: dict[int, bool] = {}  # the value each changing device was last given
        self.latencies: list[tuple[float, float]] = []  # (t sent, ms to the first page)
        self.tasks: list[asyncio.Task[Any]] = []
        self.running = True  # pages
        self.generating = True  # device changes and controls

    async def sim(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(method, self.control_url + path, json=body) as resp:
            text = await resp.text()
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status} {text}")
            return json.loads(text or "null")

    # -- pages --------------------------------------------------------------------------

    async def open_pages(self, ports: list[int], count: int) -> None:
        cookie = await sign_in(f"http://127.0.0.1:{ports[0]}")
        for i in range(count):
            page = Page(i, ports[i % len(ports)], cookie)
            self.pages.append(page)
            self.tasks.append(asyncio.create_task(self._keep_open(page)))

    async def _keep_open(self, page: Page) -> None:
        """Connect, read until closed, reconnect with a short backoff (as live.js does)."""
        delay = 0.5
        while self.running:
            try:
                await self._serve(page)
                delay = 0.5
            except (aiohttp.ClientError, OSError, TimeoutError, RuntimeError):
                pass
            page.live = False
            for control in self.controls.values():
                mine = control.page == page.index and control.socket_gen == page.gen
                if mine and not any(r in FINAL for r in control.results):
                    control.interrupted = True
            if not self.running:
                return
            await asyncio.sleep(delay + self.rng.random() * 0.5)
            delay = min(delay * 2, 5.0)

    async def _serve(self, page: Page) -> None:
        base = f"127.0.0.1:{page.port}"
        headers = {"Cookie": page.cookie, "Origin": f"http://{base}"}
        async with self.http.ws_connect(
            f"ws://{base}/ws/household/", headers=headers, max_msg_size=0, heartbeat=None
        ) as ws:
            page.ws = ws
            page.gen += 1
            page.parts = {}
            unacked = 0
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                now = time.monotonic()
                frame = json.loads(msg.data)
                page.frames += 1
                self._take(page, frame, now)
                unacked += 1
                if page.acking and unacked >= ACK_EVERY:
                    unacked = 0
                    await ws.send_str(json.dumps({"type": "ack", "seq": frame.get("seq", 0)}))
            page.closes.append(ws.close_code)
        page.ws = None

    def _take(self, page: Page, frame: dict[str, Any], now: float) -> None:
        kind = frame.get("type")
        if kind == "snapshot_part":  # a large snapshot's things come first, in parts
            page.parts.update(frame.get("things") or {})
        elif kind == "snapshot":
            things = {**page.parts, **(frame.get("things") or {})}
            page.parts = {}
            if not frame.get("since"):
                page.state = {}
            for pk, view in things.items():
                page.state[int(pk)] = {"state": view.get("state"), "online": view.get("online")}
            page.live = True
        elif kind == "batch":  # thing frames ready together (protocol 3), in order
            for inner in frame.get("frames") or []:
                self._take(page, inner, now)
        elif kind == "thing":
            pk = int(frame["id"])
            page.state[pk] = {"state": frame.get("state"), "online": frame.get("online")}
            switch = (frame.get("state") or {}).get("switch")
            if isinstance(switch, bool):
                page.seen.setdefault((pk, switch), []).append(now)
        elif kind == "control_result":
            control = self.controls.get(str(frame.get("request")))
            if control is not None:
                control.results.append(str(frame.get("status")))

    # -- controls -----------------------------------------------------------------------

    async def send_control(self, thing: int, value: bool) -> bool:
        live = [p for p in self.pages if p.live and p.ws is not None and p.acking]
        if not live:
            return False
        page = self.rng.choice(live)
        request = uuid.uuid4().hex
        control = Control(request, thing, value, page.index, time.monotonic(), page.gen)
        self.controls[request] = control
        frame = {"type": "control", "request": request, "thing": thing}
        frame |= {"control": "switch", "value": value}
        try:
            assert page.ws is not None
            await page.ws.send_str(json.dumps(frame))
        except (ConnectionError, RuntimeError, AssertionError):
            control.interrupted = True
        return True

    async def controls_forever(self, things: list[int], rate: float) -> None:
        while self.generating:
            await asyncio.sleep(self.rng.expovariate(rate))
            if self.generating:
                await self.send_control(self.rng.choice(things), self.rng.random() < 0.5)

    # -- devices changing in the cloud --------------------------------------------------

    async def changes_forever(self, things: list[int], rate: float) -> None:
        while self.generating:
            await asyncio.sleep(self.rng.expovariate(rate))
            if not self.generating:
                return
            thing = self.rng.choice(things)
            value = not self.last.get(thing, False)  # a flip: every change is visible
            t = time.monotonic()
            with contextlib.suppress(aiohttp.ClientError, RuntimeError):
                await self.sim(
                    "POST",
                    f"/devices/{self.things[thing]}/params",
                    {"params": {"switch": "on" if value else "off"}},
                )
                self.changes.append((t, thing, value))
                self.last[thing] = value

    def latencies_since(self, start: float) -> list[tuple[float, float]]:
        """(t, ms) from each device change to the first page that showed it."""
        out = []
        for t, thing, value in self.changes:
            if t < start:
                continue
            firsts = []
            for page in self.pages:
                times = page.seen.get((thing, value), [])
                at = bisect.bisect_left(times, t)
                if at < len(times):
                    firsts.append(times[at])
            if firsts:
                out.append((t, (min(firsts) - t) * 1000))
        return out

    async def stop(self) -> None:
        self.running = False
        for page in self.pages:
            if page.ws is not None:
                with contextlib.suppress(Exception):
                    await page.ws.close()
        for task in self.tasks:
            task.cancel()
