"""`/api/ws`: the `userOnline` handshake, ping/pong, and app commands (update/query/upgrade)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import commands
from .hub import Session, dumps
from .keys import CLOUD

if TYPE_CHECKING:
    from .cloud import Cloud

log = logging.getLogger("cloudsim")
HANDSHAKE_TIMEOUT_S = 30.0
NONCE = re.compile(r"^[A-Za-z0-9]{1,32}$")


async def ws_handler(request: web.Request) -> web.StreamResponse:
    cloud: Cloud = request.app[CLOUD]
    ip = request.remote or "?"
    if cloud.settings.storm_guard and not cloud.etiquette.allow_handshake(ip):
        return web.json_response({"error": 403, "reason": "ip blocked"}, status=403)
    ws = web.WebSocketResponse(max_msg_size=1 << 20)
    await ws.prepare(request)
    cloud.counters.connections += 1
    session = await handshake(cloud, ws, ip)
    if session is None:
        await ws.close()
        return ws
    cloud.hub.add(session)
    try:
        await serve(cloud, session)
    finally:
        cloud.hub.remove(session)
    return ws


async def handshake(cloud: Cloud, ws: web.WebSocketResponse, ip: str) -> Session | None:
    """Read one `userOnline` frame; reply with the config or 406 and close at once."""
    try:
        msg = await ws.receive(timeout=HANDSHAKE_TIMEOUT_S)
    except TimeoutError:
        return None
    if msg.type != WSMsgType.TEXT:
        return None
    cloud.counters.handshakes += 1
    frame = parse(msg.data)
    apikey = str(frame.get("apikey")) if frame is not None else None
    refusal = cloud.faults.take("refuse_handshake", apikey=apikey)
    if refusal is not None and refusal.error == "close":
        return None
    token_ok = frame is not None and refusal is None and valid_handshake(cloud, frame)
    if not token_ok or frame is None:
        await ws.send_str(dumps(auth_failed(frame or {})))
        return None
    session = Session(ws, frame["apikey"], frame["appid"], frame["at"], ip)
    await ws.send_str(dumps(welcome(cloud, frame)))
    closer = cloud.faults.take("ws_close_after")
    if closer is not None:
        cloud.spawn(close_later(ws, closer.seconds))
    if cloud.settings.odd_frames:
        notify = {"action": "notify", "cmd": "incrementalDataNotify", "apikey": session.apikey}
        await session.send(dumps(notify))
    return session


def valid_handshake(cloud: Cloud, frame: dict[str, Any]) -> bool:
    if frame.get("action") != "userOnline":
        return False
    token = cloud.state.tokens_by_at.get(str(frame.get("at")))
    if token is None or token.at_expires <= time.time():
        return False
    nonce = frame.get("nonce")
    if not isinstance(nonce, str | int) or not NONCE.match(str(nonce)):
        return False
    return frame.get("apikey") == token.apikey and frame.get("appid") == token.appid


def welcome(cloud: Cloud, frame: dict[str, Any]) -> dict[str, Any]:
    # Both spellings: the notes and SDK read `hb`, the API document writes `hbl`.
    config = {"hb": 1, "hbl": 1, "hbInterval": cloud.settings.hb_interval}
    return {
        "error": 0,
        "apikey": frame["apikey"],
        "config": config,
        "sequence": frame.get("sequence"),
    }


def auth_failed(frame: dict[str, Any]) -> dict[str, Any]:
    return {
        "error": 406,
        "reason": "Authentication Failed",
        "apikey": frame.get("apikey"),
        "sequence": frame.get("sequence"),
        "actionName": "userOnline",
    }


async def close_later(ws: web.WebSocketResponse, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await ws.close(code=1001, message=b"fault: ws_close_after")


def parse(text: str) -> dict[str, Any] | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None


async def serve(cloud: Cloud, session: Session) -> None:
    async for msg in session.ws:
        if msg.type != WSMsgType.TEXT:
            continue
        if msg.data == "ping":
            session.last_ping = time.monotonic()
            await session.send("pong")
            continue
        frame = parse(msg.data)
        if frame is None:
            await session.send(dumps({"error": 400, "reason": "invalid json"}))
            continue
        try:
            await commands.dispatch(cloud, session, frame)
        except Exception:  # keep the socket serving; report like the cloud's 500
            log.exception("unexpected error handling %s", frame.get("action"))
            await session.send(dumps({"error": 500, "sequence": frame.get("sequence")}))
