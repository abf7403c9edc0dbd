"""The request core: URLs, headers, signing, error mapping, retries and token refresh."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from ewelink.backoff import Backoff
from ewelink.errors import (
    AuthError,
    EWeLinkError,
    NetworkError,
    ProtocolError,
    ServerError,
    TokenExpiredError,
    error_for_code,
    error_for_http_status,
)
from ewelink.governor import Governor, Sleep, default_governor
from ewelink.models import JsonDict
from ewelink.regions import Endpoints, Region
from ewelink.signing import encode_body, make_nonce, sign_body, sign_query
from ewelink.telemetry import report_call
from ewelink.tokens import Tokens, TokensCallback, expiry_ms

_LOG = logging.getLogger(__name__)

Auth = Literal["bearer", "sign", "none"]
Method = Literal["GET", "POST", "PUT", "DELETE"]
DEFAULT_TIMEOUT = 15.0
# Told of every request sent: its path and whether the cloud refused it (an error code or an
# HTTP 4xx/5xx). For the host's call counts; its own failures never fail the call.
CallObserver = Callable[[str, bool], Awaitable[None] | None]


class HttpCore:
    """Everything every endpoint shares; endpoint mixins only build paths and parse results."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_id: str,
        app_secret: str,
        region: Region = "eu",
        tokens: Tokens | None = None,
        on_tokens: TokensCallback | None = None,
        base_url_template: str | None = None,
        governor: Governor | None = None,
        retries: int = 2,
        retry_backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
        timeout: float = DEFAULT_TIMEOUT,
        on_call: CallObserver | None = None,
    ) -> None:
        self.session = session
        self.app_id = app_id
        self.app_secret = app_secret
        self.endpoints = Endpoints(base_url_template)
        self.tokens = tokens
        self.region: Region = tokens.region if tokens is not None else region
        self.on_tokens = on_tokens
        self.governor = governor if governor is not None else default_governor()
        self.retries = retries
        self._retry_backoff = retry_backoff or Backoff(low=0.25, high=1.0, cap=8.0)
        self._sleep = sleep
        self.timeout = timeout
        self._refresh_lock = asyncio.Lock()
        self.on_call = on_call

    # -- public plumbing ---------------------------------------------------------------------

    async def set_tokens(self, tokens: Tokens) -> None:
        """Adopt new tokens and hand them to the host's callback so it can persist them."""
        self.tokens = tokens
        self.region = tokens.region
        if self.on_tokens is not None:
            result = self.on_tokens(tokens)
            if inspect.isawaitable(result):
                await result

    async def call(
        self,
        method: Method,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        auth: Auth = "bearer",
        idempotent: bool | None = None,
        region: Region | None = None,
        url: str | None = None,
        refresh_on_expiry: bool = True,
        flat: bool = False,
    ) -> JsonDict:
        """One API call returning ``data`` (or the whole answer when ``flat``).

        A 402 refreshes the tokens once and retries the call once.
        """
        request = _Request(method, path, params, body, auth, region, url, flat)
        attempt = self._with_retries(request, idempotent)
        try:
            return await attempt()
        except TokenExpiredError:
            if not (refresh_on_expiry and auth == "bearer" and self.tokens and self.tokens.rt):
                raise
            await self.refresh_tokens(stale_at=self.tokens.at)
            return await attempt()

    async def refresh_tokens(self, stale_at: str | None = None) -> Tokens:
        """Trade ``rt`` for a new pair; concurrent callers share one refresh."""
        async with self._refresh_lock:
            tokens = self.tokens
            if tokens is None or not tokens.rt:
                raise AuthError("no refresh token; log in again", 401)
            if stale_at is not None and tokens.at != stale_at:
                return tokens  # another task refreshed while we waited
            data = await self.call(
                "POST",
                "/v2/user/refresh",
                body={"rt": tokens.rt},
                auth="sign",
                refresh_on_expiry=False,
            )
            at, rt = data.get("at"), data.get("rt")
            if not isinstance(at, str) or not isinstance(rt, str):
                raise ProtocolError("refresh answer lacks at/rt", data=data)
            # The document's reply has no expiry: the lifetimes estimate it, unless it says.
            new = tokens.with_pair(
                at,
                rt,
                at_expires_ms=expiry_ms(data.get("atExpiredTime")),
                rt_expires_ms=expiry_ms(data.get("rtExpiredTime")),
            )
            await self.set_tokens(new)
            return new

    # -- internals ---------------------------------------------------------------------------

    def _with_retries(
        self, request: _Request, idempotent: bool | None
    ) -> Callable[[], Awaitable[JsonDict]]:
        retry_allowed = request.method == "GET" if idempotent is None else idempotent

        async def attempt() -> JsonDict:
            backoff = self._retry_backoff.fresh()
            for tries_left in range(self.retries, -1, -1):
                try:
                    return await self._send(request)
                except (NetworkError, ServerError) as exc:
                    if not retry_allowed or tries_left == 0:
                        raise
                    delay = backoff.next_delay()
                    _LOG.debug("retrying %s in %.2fs after %s", request.path, delay, exc)
                    await self._sleep(delay)
            raise AssertionError("unreachable")  # pragma: no cover

        return attempt

    def _headers(self, auth: Auth, signature: str | None) -> dict[str, str]:
        headers = {"X-CK-Appid": self.app_id, "X-CK-Nonce": make_nonce()}
        if auth == "sign" and signature is not None:
            headers["Authorization"] = signature
        elif auth == "bearer":
            if self.tokens is None:
                raise AuthError("not logged in", 401)
            headers["Authorization"] = "Bearer " + self.tokens.at
        return headers

    async def _send(self, request: _Request) -> JsonDict:
        method, auth = request.method, request.auth
        target = request.url or self.endpoints.api(request.region or self.region) + request.path
        query = {k: _query_value(v) for k, v in (request.params or {}).items() if v is not None}
        raw_body = encode_body(request.body) if request.body is not None else None
        signature = None
        if auth == "sign":
            # Sign exactly what goes on the wire: the body bytes, or the sorted raw query.
            signature = (
                sign_body(self.app_secret, raw_body)
                if raw_body is not None
                else sign_query(self.app_secret, query)
            )
        headers = self._headers(auth, signature)
        if raw_body is not None:
            headers["Content-Type"] = "application/json"
        # Keyed by path alone: whether GET and POST of one URL are one "interface" is not
        # documented, and treating them as one is the safe reading. The account's apikey
        # gets it a fair share of the budget every account of the deployment draws on.
        account = self.tokens.apikey if self.tokens is not None and self.tokens.apikey else None
        await self.governor.acquire(request.path, account)
        try:
            async with self.session.request(
                method,
                target,
                params=query or None,
                data=raw_body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            report_call(request.path, None)
            await self._observe(request.path, refused=False)  # sent, but no answer to count
            raise NetworkError(f"{method} {target}: {exc.__class__.__name__}: {exc}") from exc
        try:
            data = _decode(status, text, flat=request.flat)
        except ProtocolError as exc:
            report_call(request.path, exc.code if exc.code is not None else status)
            await self._observe(request.path, refused=status >= 400)
            raise
        except EWeLinkError as exc:
            report_call(request.path, exc.code if exc.code is not None else status)
            await self._observe(request.path, refused=True)
            raise
        report_call(request.path, 0)
        await self._observe(request.path, refused=False)
        return data

    async def _observe(self, path: str, *, refused: bool) -> None:
        if self.on_call is None:
            return
        try:
            result = self.on_call(path, refused)
            if inspect.isawaitable(result):
                await result
        except Exception:  # counting is a nicety: the call's own outcome matters more
            _LOG.debug("call observer failed for %s", path, exc_info=True)


@dataclass(frozen=True)
class _Request:
    method: Method
    path: str
    params: Mapping[str, Any] | None
    body: Mapping[str, Any] | None
    auth: Auth
    region: Region | None
    url: str | None
    flat: bool


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode(status: int, text: str, *, flat: bool = False) -> JsonDict:
    """Turn an HTTP answer into ``data`` or the matching typed error."""
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or ("error" not in payload and not flat):
        if status != 200:
            raise error_for_http_status(status, text)
        raise ProtocolError("answer is not a JSON envelope", data=text[:200])
    code = payload.get("error", 0)
    data = payload.get("data")
    if not isinstance(code, int) or isinstance(code, bool):
        raise ProtocolError(f"error field is not an int: {code!r}", data=payload)
    if status >= 500:  # a failing server or proxy, whatever code its body carries
        raise ServerError(str(payload.get("msg") or f"HTTP {status}"), status, data)
    if code != 0:
        raise error_for_code(code, str(payload.get("msg") or ""), data)
    if status >= 400:
        raise error_for_http_status(status, text)
    if flat:
        return payload
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProtocolError("data is not an object", data=payload)
    return data


__all__ = ["EWeLinkError", "HttpCore"]
