"""Raw HTTP and websocket clients for the cloudsim tests, with hand-built signatures.

Nothing here imports the project's `ewelink` client: the simulator is checked against the
documents, with the signing rules written out again by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
import time
from typing import Any

import aiohttp

from cloudsim.testing import InProcessCloudsim

ALNUM = string.ascii_letters + string.digits


def nonce() -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(8))


def hmac_b64(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


class Api:
    """A raw client of one simulated cloud, speaking the wire format of the API document."""

    def __init__(self, sim: InProcessCloudsim, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.appid = sim.appid
        self.secret = sim.secret

    def url(self, region: str | None, path: str) -> str:
        return (self.sim.api(region) if region else self.sim.base_url) + path

    async def request(
        self,
        method: str,
        region: str | None,
        path: str,
        *,
        headers: dict[str, str],
        data: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        async with self.session.request(
            method, self.url(region, path), data=data, params=params, headers=headers, ssl=False
        ) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def signed_post(
        self,
        region: str | None,
        path: str,
        body: dict[str, Any],
        *,
        appid: str | None = None,
        secret: str | None = None,
        raw: bytes | None = None,
        sign_over: bytes | None = None,
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        data = raw if raw is not None else json.dumps(body).encode()
        signature = hmac_b64(secret or self.secret, sign_over if sign_over is not None else data)
        headers = {
            "X-CK-Appid": appid or self.appid,
            "X-CK-Nonce": nonce(),
            "Authorization": f"Sign {signature}",
            "Content-Type": "application/json",
        }
        return await self.request("POST", region, path, headers=headers | (extra or {}), data=data)

    async def signed_get(
        self, region: str | None, path: str, params: dict[str, str], secret: str | None = None
    ) -> dict[str, Any]:
        message = "&".join(f"{k}={params[k]}" for k in sorted(params)).encode()
        headers = {
            "X-CK-Appid": self.appid,
            "X-CK-Nonce": nonce(),
            "Authorization": f"Sign {hmac_b64(secret or self.secret, message)}",
        }
        return await self.request("GET", region, path, headers=headers, params=params)

    async def call(
        self,
        method: str,
        region: str,
        path: str,
        at: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {at}", "X-CK-Nonce": nonce()}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return await self.request(method, region, path, headers=headers, data=data, params=params)

    async def login(
        self,
        region: str,
        email: str | None,
        password: str,
        country: str = "+44",
        phone: str | None = None,
    ) -> dict[str, Any]:
        body = {"countryCode": country, "password": password}
        body |= {"phoneNumber": phone} if phone else {"email": email}
        return await self.signed_post(region, "/v2/user/login", body)


class User:
    """A logged-in account: apikey, region, tokens and shortcuts for Bearer calls."""

    def __init__(self, api: Api, info: dict[str, Any], password: str, login: dict[str, Any]):
        self.api = api
        self.info = info
        self.apikey: str = info["apikey"]
        self.region: str = info["region"]
        self.email: str = info.get("email", "")
        self.phone: str = info.get("phoneNumber", "")
        self.password = password
        self.at: str = login["data"]["at"]
        self.rt: str = login["data"]["rt"]

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        query = {k: str(v) for k, v in params.items()}
        return await self.api.call("GET", self.region, path, self.at, params=query)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api.call("POST", self.region, path, self.at, body=body)

    async def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api.call("PUT", self.region, path, self.at, body=body)

    async def delete(self, path: str, **params: Any) -> dict[str, Any]:
        query = {k: str(v) for k, v in params.items()}
        return await self.api.call("DELETE", self.region, path, self.at, params=query)

    async def device(self, uiid: int, **spec: Any) -> dict[str, Any]:
        """Create a device owned by this user through the control API."""
        body = {"owner": self.apikey, "uiid": uiid, "name": spec.pop("name", f"dev {uiid}")}
        return await self.api.sim.acontrol("POST", "/devices", body | spec)


class Cloud:
    """Test-side handle: the simulator, a raw API client and account factories."""

    def __init__(self, sim: InProcessCloudsim, api: Api) -> None:
        self.sim = sim
        self.api = api
        self.counter = 0

    async def user(self, region: str = "eu", **extra: Any) -> User:
        self.counter += 1
        email = extra.pop("email", f"user{self.counter}-{nonce().lower()}@example.com")
        password = "pw-" + nonce()
        body = {
            "region": region,
            "email": email,
            "password": password,
            "countryCode": "+44",
        } | extra
        info = await self.sim.acontrol("POST", "/accounts", body)
        login = await self.api.login(region, email, password, phone=extra.get("phoneNumber"))
        assert login["error"] == 0, login
        return User(self.api, info, password, login)

    async def ws(self, user: User, **overrides: Any) -> aiohttp.ClientWebSocketResponse:
        """Connect and complete the userOnline handshake."""
        ws, reply = await self.ws_raw(user, **overrides)
        assert reply["error"] == 0, reply
        return ws

    async def ws_raw(self, user: User, **overrides: Any) -> tuple[Any, dict[str, Any]]:
        ws = await self.api.session.ws_connect(self.sim.info["websocket"], ssl=False)
        frame = {
            "action": "userOnline",
            "version": 8,
            "ts": int(time.time()),
            "at": user.at,
            "userAgent": "app",
            "apikey": user.apikey,
            "appid": self.api.appid,
            "nonce": nonce(),
            "sequence": str(int(time.time() * 1000)),
        } | overrides
        await ws.send_str(json.dumps(frame))
        reply = await ws.receive(timeout=5)
        return ws, json.loads(reply.data)


async def next_json(
    ws: aiohttp.ClientWebSocketResponse, wait: float = 3.0, skip_actions: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The next JSON frame (text `pong` frames are skipped)."""
    while True:
        msg = await ws.receive(timeout=wait)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        if msg.data == "pong":
            continue
        frame = json.loads(msg.data)
        if frame.get("action") in skip_actions:
            continue
        return frame


async def no_frame(ws: aiohttp.ClientWebSocketResponse, within: float = 0.3) -> bool:
    """True when nothing arrives within the window."""
    try:
        msg = await ws.receive(timeout=within)
    except TimeoutError:
        return True
    return msg is None
