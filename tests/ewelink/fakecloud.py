"""A tiny scriptable cloud (REST + dispatch + websocket) for tests that need exact control.

Integration tests use cloudsim; this one lets a test say "answer 402 once", "stop answering
pings" or "close right after the handshake" without depending on the simulator.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

Reply = tuple[int, Any]  # HTTP status, JSON body (or str for a raw text body)


@dataclass
class Seen:
    """One request as the fake cloud received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    query_string: str


@dataclass
class WsBehaviour:
    handshake: str = "ok"  # ok | 406 | close | silent
    hb_interval: float = 145.0
    answer_pings: bool = True
    reply_error: int | None = 0  # None = never answer commands
    reply_params: dict[str, Any] | None = None
    reply_deviceid: bool = True  # some replies carry no deviceid, only the sequence
    close_after_handshake: bool = False


@dataclass
class FakeCloud:
    """Start with ``await cloud.start()``; ``template`` points a client at it."""

    valid_ats: set[str] = field(default_factory=lambda: {"AT1"})
    scripted: dict[tuple[str, str], deque[Reply]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    handlers: dict[tuple[str, str], Callable[[Seen], Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    ws: WsBehaviour = field(default_factory=WsBehaviour)
    ws_received: list[str] = field(default_factory=list)
    handshakes: int = 0
    hellos: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    server: TestServer | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/api/ws", self._websocket)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        for sock in list(self.sockets):
            await sock.close()
        if self.server is not None:
            await self.server.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        assert self.server.port is not None
        return self.server.port

    @property
    def template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{region}}"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Queue answers for a route; unscripted routes use ``handlers`` or a 0 envelope."""
        self.scripted[(method, path)].extend(replies)

    def calls(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    async def push(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        for sock in list(self.sockets):
            await sock.send_str(text)

    async def drop(self) -> None:
        for sock in list(self.sockets):
            await sock.close()

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
            request.query_string,
        )
        self.seen.append(seen)
        key = (request.method, request.path)
        if self.scripted.get(key):
            status, body = self.scripted[key].popleft()
        elif key in self.handlers:
            status, body = self.handlers[key](seen)
        elif request.path.endswith("/dispatch/app"):
            status, body = (
                200,
                {
                    "IP": "127.0.0.1",
                    "port": self.port,
                    "domain": "127.0.0.1",
                    "error": 0,
                    "reason": "ok",
                },
            )
        else:
            status, body = 200, {"error": 0, "msg": "", "data": {}}
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse(autoping=True)
        await sock.prepare(request)
        first = await sock.receive()
        if first.type is not WSMsgType.TEXT:
            return sock
        hello = json.loads(first.data)
        self.hellos.append(hello)
        self.handshakes += 1
        if self.ws.handshake == "close":
            await sock.close()
            return sock
        if self.ws.handshake == "silent":
            await asyncio.sleep(30)
            return sock
        if self.ws.handshake == "406" or hello.get("at") not in self.valid_ats:
            await sock.send_str(
                json.dumps(
                    {
                        "error": 406,
                        "reason": "Authentication Failed",
                        "sequence": hello.get("sequence"),
                    }
                )
            )
            await sock.close()
            return sock
        await sock.send_str(
            json.dumps(
                {
                    "error": 0,
                    "apikey": hello.get("apikey"),
                    "sequence": hello.get("sequence"),
                    "config": {"hb": 1, "hbInterval": self.ws.hb_interval},
                }
            )
        )
        if self.ws.close_after_handshake:
            await sock.close()
            return sock
        self.sockets.append(sock)
        try:
            async for message in sock:
                if message.type is WSMsgType.TEXT:
                    await self._on_frame(sock, message.data)
        finally:
            self.sockets.remove(sock)
        return sock

    async def _on_frame(self, sock: web.WebSocketResponse, text: str) -> None:
        self.ws_received.append(text)
        if text == "ping":
            if self.ws.answer_pings:
                await sock.send_str("pong")
            return
        frame = json.loads(text)
        if self.ws.reply_error is None:
            return
        reply: dict[str, Any] = {
            "error": self.ws.reply_error,
            "apikey": frame.get("apikey"),
            "sequence": frame.get("sequence"),
        }
        if self.ws.reply_deviceid:
            reply["deviceid"] = frame.get("deviceid")
        if frame.get("action") == "query" and self.ws.reply_params is not None:
            reply["params"] = self.ws.reply_params
        await sock.send_str(json.dumps(reply))
