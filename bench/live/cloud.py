"""Raw eWeLink cloud access for the benchmark (no Django): signed login, dispatch, userOnline.

Used by the benchmark's own "clock" sockets and by the bare relay's ingest side.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import time

import aiohttp

PING_EVERY = 60.0  # cloudsim closes sockets silent for hbInterval (145 s) + grace


def sign(secret: str, raw: bytes) -> str:
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).digest()
    return "Sign " + base64.b64encode(digest).decode()


async def login(
    session: aiohttp.ClientSession, api: str, appid: str, secret: str, email: str, password: str
) -> dict[str, str]:
    """`POST /v2/user/login` under `appid`; returns {"at", "apikey"}."""
    raw = json.dumps({"countryCode": "+44", "email": email, "password": password}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-CK-Appid": appid,
        "Authorization": sign(secret, raw),
    }
    async with session.post(api + "/v2/user/login", data=raw, headers=headers) as resp:
        body = await resp.json()
    if body.get("error") != 0:
        raise RuntimeError(f"login {email} under {appid}: {body}")
    return {"at": body["data"]["at"], "apikey": body["data"]["user"]["apikey"]}


async def open_socket(
    session: aiohttp.ClientSession, dispatch: str, appid: str, at: str, apikey: str
) -> aiohttp.ClientWebSocketResponse:
    """dispatch → websocket → userOnline; returns the socket after a good handshake."""
    async with session.get(dispatch, headers={"Authorization": f"Bearer {at}"}) as resp:
        where = await resp.json()
    ws = await session.ws_connect(f"ws://{where['domain']}:{where['port']}/api/ws", autoping=True)
    hello = {
        "action": "userOnline",
        "at": at,
        "apikey": apikey,
        "appid": appid,
        "nonce": "bench123",
        "userAgent": "app",
        "version": 8,
        "sequence": str(int(time.time() * 1000)),
    }
    await ws.send_str(json.dumps(hello))
    reply = json.loads((await ws.receive(timeout=10)).data)
    if reply.get("error") != 0:
        await ws.close()
        raise RuntimeError(f"handshake refused: {reply}")
    return ws


async def keep_pinging(sockets: list[aiohttp.ClientWebSocketResponse]) -> None:
    """Text `ping` on every socket every PING_EVERY seconds (cancel to stop)."""
    while True:
        await asyncio.sleep(PING_EVERY)
        for ws in list(sockets):
            if not ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_str("ping")
