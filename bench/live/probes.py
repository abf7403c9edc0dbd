"""The benchmark's probes on our stack: page sockets (signed in like a browser), the bare
relay's listeners, commands sent through a page, and the tap on the household's group.

Every frame is stamped with `time.perf_counter()` on receipt and kept raw in the `Recorder`
while it records; analysis.py parses them after the window.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from bench.live import log
from bench.live.analysis import Recorder
from bench.live.stack import OWNER_EMAIL, OWNER_PASSWORD, Stack


async def page_cookies(port: int) -> str:
    """Sign in through the login form like a browser; returns the Cookie header."""
    jar = aiohttp.CookieJar(unsafe=True)
    base = f"http://127.0.0.1:{port}"
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
    if "sessionid" not in cookies:
        raise RuntimeError("login gave no session cookie")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def read_snapshot(
    ws: aiohttp.ClientWebSocketResponse, index: int, within_s: float
) -> tuple[int, int, int]:
    """A page's snapshot (its parts, then the `snapshot` frame): (things, bytes, frames).

    Fails at once when the socket closes or sends something else, and after a while
    (`within_s`), rather than waiting for a snapshot that will not come."""
    things: set[str] = set()
    size = frames = 0
    deadline = time.monotonic() + within_s
    while True:
        try:
            msg = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            why = f"no snapshot within {within_s:.0f} s"
            raise RuntimeError(f"page socket {index}: {why}") from None
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(
                f"page socket {index}: no snapshot ({msg.type.name}, close code {ws.close_code})"
            )
        frame = json.loads(msg.data)
        frames += 1
        size += len(msg.data)
        things.update(frame.get("things") or {})
        if frame.get("type") == "snapshot":
            return len(things), size, frames
        if frame.get("type") != "snapshot_part":
            raise RuntimeError(f"page socket {index}: {frame.get('type')} before the snapshot")


class Probes:
    """Page sockets and relay listeners on `stack` that record into `rec`, the commands'
    round-trips, and the tap. The stack's facts get the first snapshot's figures and the
    pages' close codes."""

    def __init__(self, stack: Stack, rec: Recorder, snapshot_timeout: float) -> None:
        self.stack = stack
        self.rec = rec
        self.facts = stack.facts
        self.snapshot_timeout = snapshot_timeout
        self.tasks: list[asyncio.Task[Any]] = []
        self.control_waiters: dict[str, asyncio.Future[float]] = {}
        self.controls: list[float] = []  # round-trips, ms
        self.control_failures: list[str] = []

    async def open_pages(self, port: int, count: int) -> list[aiohttp.ClientWebSocketResponse]:
        """`count` household page sockets on Daphne, each past its snapshot."""
        cookie = await page_cookies(port)
        headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
        sockets = []
        for i in range(count):
            started = time.perf_counter()
            ws = await self.stack.http.ws_connect(
                f"ws://127.0.0.1:{port}/ws/household/", headers=headers, max_msg_size=0
            )
            things, size, frames = await read_snapshot(ws, i, self.snapshot_timeout)
            if i == 0:
                self.facts["snapshot_things"] = things
                self.facts["snapshot_bytes"] = size
                self.facts["snapshot_frames"] = frames
                self.facts["snapshot_ms"] = (time.perf_counter() - started) * 1000
            sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._read_page(ws, i, "ours", frames)))
        f = self.facts
        log(
            f"{len(sockets)} page sockets open (snapshot: {f['snapshot_things']} things, "
            f"{f['snapshot_bytes'] / 1024:.0f} KiB in {f['snapshot_frames']} frames, "
            f"{f['snapshot_ms']:.0f} ms from connect)"
        )
        return sockets

    async def open_relay_clients(
        self, port: int, count: int
    ) -> list[aiohttp.ClientWebSocketResponse]:
        sockets = []
        for i in range(count):
            ws = await self.stack.http.ws_connect(f"ws://127.0.0.1:{port}/ws")
            sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._read_page(ws, i, "relay")))
        return sockets

    async def _read_page(
        self, ws: aiohttp.ClientWebSocketResponse, index: int, kind: str, seen: int = 0
    ) -> None:
        rec = self.rec
        clock = time.perf_counter
        acks = kind == "ours"  # `seen`: frames read before (the snapshot's)
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            now = clock()
            data = msg.data
            rec.frames += 1
            if rec.recording:
                pages = rec.pages.get(kind)
                if pages is not None and index < len(pages):
                    pages[index].append((now, data))
            if acks:
                # Ack like live.js: unacked frames make our socket treat the page as behind.
                seen += 1
                if seen % 25 == 0:
                    await ws.send_str(json.dumps({"type": "ack", "seq": seen}))
                if index == 0 and '"control_result"' in data:
                    self._control_frame(now, data)
        if acks:
            self.facts.setdefault("page_closes", []).append(ws.close_code)

    def _control_frame(self, now: float, data: str) -> None:
        frame = json.loads(data)
        waiter = self.control_waiters.get(frame.get("request"))
        if waiter is None or waiter.done() or frame.get("status") == "pending":
            return
        if frame.get("status") == "ok":
            waiter.set_result(now)
        else:
            waiter.set_exception(RuntimeError(f"{frame.get('status')}: {frame.get('message')}"))

    async def run_controls(self, page: aiohttp.ClientWebSocketResponse, count: int) -> None:
        """Toggle the bench switch `count` times, one at a time, ≥150 ms apart."""
        thing = self.stack.switch_pk
        value = True
        for _ in range(count):
            request = uuid.uuid4().hex
            waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            self.control_waiters[request] = waiter
            sent = time.perf_counter()
            await page.send_str(
                json.dumps(
                    {
                        "type": "control",
                        "request": request,
                        "thing": thing,
                        "control": "switch",
                        "value": value,
                    }
                )
            )
            try:
                done = await asyncio.wait_for(waiter, 15)
                self.controls.append((done - sent) * 1000)
            except Exception as exc:
                self.control_failures.append(str(exc) or type(exc).__name__)
            finally:
                self.control_waiters.pop(request, None)
            value = not value
            await asyncio.sleep(0.15 + 0.05)

    def start_tap(self) -> None:
        self.tasks.append(asyncio.create_task(self._tap()))

    async def _tap(self) -> None:
        """Subscribe to the household's Channels group in Redis: when the worker published."""
        redis = aioredis.Redis.from_url(self.stack.redis_url)
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.psubscribe(f"*__group__household.{self.stack.household}")
        rec = self.rec
        clock = time.perf_counter
        try:
            async for message in pubsub.listen():
                if message["type"] == "pmessage" and rec.recording:
                    rec.tap.append((clock(), message["data"]))
        finally:
            await redis.aclose()

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()
