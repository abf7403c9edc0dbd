"""Request rules shared by every endpoint: headers, signatures, tokens, typed parameters."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from cloudsim import REGIONS, tokens
from cloudsim.keys import CLOUD
from cloudsim.responses import (
    APP_DENIED,
    DENIED,
    NOT_FOUND,
    NOT_FOUND_API,
    PARAMS,
    QUOTA_EXCEEDED,
    RATE_LIMITED,
    SERVER,
    ApiError,
    error,
    ill_typed,
    missing,
    ok,
)
from cloudsim.signing import signature_matches, sorted_query_message
from cloudsim.state import Account, Device, Family, Token

if TYPE_CHECKING:
    from cloudsim.cloud import Cloud

log = logging.getLogger("cloudsim")
NONCE = re.compile(r"^[A-Za-z0-9]{8}$")
SIGN_FAILED = ApiError(PARAMS, "sign verification failed")
_MISSING = object()


@dataclass
class Call:
    """One parsed API request, as the endpoint functions see it."""

    cloud: Cloud
    request: web.Request
    region: str | None
    body: dict[str, Any] = field(default_factory=dict)
    appid: str | None = None
    token: Token | None = None

    @property
    def account(self) -> Account:
        assert self.token is not None  # only Bearer endpoints ask for it
        return self.cloud.state.accounts[self.token.apikey]

    def raw(self, name: str) -> Any:
        if name in self.body:
            return self.body[name]
        return self.request.query.get(name, _MISSING)

    def string(self, name: str, required: bool = True, default: str | None = None) -> Any:
        value = self.raw(name)
        if value is _MISSING or value is None or value == "":
            if required:
                raise missing(name)
            return default
        if not isinstance(value, str):
            raise ill_typed(name)
        return value

    def integer(
        self, name: str, default: int | None = None, lo: int | None = None, hi: int | None = None
    ) -> Any:
        value = self.raw(name)
        if value is _MISSING or value is None or value == "":
            if default is None:
                raise missing(name)
            return default
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value) and name not in self.body:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ill_typed(name)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ApiError(PARAMS, f"params error: {name} out of range")
        return value

    def array(self, name: str, lo: int = 0, hi: int | None = None, required: bool = True) -> Any:
        value = self.body.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise missing(name)
            return []
        if not isinstance(value, list):
            raise ill_typed(name)
        if len(value) < lo or (hi is not None and len(value) > hi):
            raise ApiError(PARAMS, f"params error: {name} must hold {lo}..{hi} items")
        return value

    def obj(self, name: str, required: bool = True) -> Any:
        value = self.body.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise missing(name)
            return {}
        if not isinstance(value, dict):
            raise ill_typed(name)
        return value

    # ---- lookups with the cloud's ownership rules -------------------------
    def device(self, deviceid: str, owner_only: bool = False) -> Device:
        """Unknown id → 405; a device this account may not touch → 406."""
        device = self.cloud.state.devices.get(deviceid)
        if device is None or device.owner is None:
            raise ApiError(NOT_FOUND, "device not found")
        me = self.account.apikey
        if not device.visible_to(me) or (owner_only and device.owner != me):
            raise ApiError(DENIED, "access denied")
        return device

    def family(self, familyid: str | None) -> Family:
        """`None` means the current home."""
        familyid = familyid or self.account.current_family
        family = self.cloud.state.families.get(familyid)
        if family is None:
            raise ApiError(NOT_FOUND, "family not found")
        if family.owner != self.account.apikey:
            raise ApiError(DENIED, "access denied")
        return family


Handler = Callable[[Call], Awaitable[Any]]


@dataclass
class Endpoint:
    method: str
    path: str
    auth: str  # "sign", "bearer", "sign_or_bearer"
    func: Handler
    regional: bool = True


ENDPOINTS: list[Endpoint] = []


def endpoint(
    method: str, path: str, auth: str = "bearer", regional: bool = True
) -> Callable[[Handler], Handler]:
    """Register an API function under every region's base URL."""

    def register(func: Handler) -> Handler:
        ENDPOINTS.append(Endpoint(method, path, auth, func, regional))
        return func

    return register


def add_routes(app: web.Application) -> None:
    region_pattern = "{region:(" + "|".join(REGIONS) + ")}"
    for ep in ENDPOINTS:
        handler = make_handler(ep)
        app.router.add_route(ep.method, f"/{region_pattern}{ep.path}", handler)
        if not ep.regional:
            app.router.add_route(ep.method, ep.path, handler)
    app.router.add_route("*", f"/{region_pattern}/v2/{{tail:.*}}", api_not_found)


async def api_not_found(request: web.Request) -> web.Response:
    return error(ApiError(NOT_FOUND_API, "api not found"))


def make_handler(ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    label = f"{ep.method} {ep.path}"

    async def handle(request: web.Request) -> web.StreamResponse:
        cloud: Cloud = request.app[CLOUD]
        cloud.counters.calls[label] += 1
        injected = await apply_faults(cloud, request, ep.path)
        if injected is not None:
            return injected
        try:
            call = await build_call(cloud, request, ep)
            return ok(await ep.func(call))
        except ApiError as exc:
            return error(exc)
        except Exception:  # a simulator bug must not look like a dropped connection
            log.exception("unexpected error in %s", label)
            return error(ApiError(SERVER, "internal server error"))

    return handle


async def apply_faults(cloud: Cloud, request: web.Request, path: str) -> web.Response | None:
    faults, method = cloud.faults, request.method
    if faults.faults:
        latency = faults.take("latency", path, method)
        if latency is not None:
            await asyncio.sleep(latency.ms / 1000)
        broken = faults.take("http_status", path, method)
        if broken is not None:
            body = {"error": broken.status, "msg": "injected fault", "data": {}}
            return web.json_response(body, status=broken.status)
        if faults.take("rate_limit", path, method) is not None:
            return error(ApiError(RATE_LIMITED, "request too frequent"))
    interface = f"{method} {path}"
    if cloud.settings.etiquette and not cloud.etiquette.allow_call(
        request.remote or "?", interface
    ):
        return error(ApiError(RATE_LIMITED, "request too frequent"))
    return None


# Pre-login [User] paths a free (OAuth-only) developer app may not call.
OAUTH_ONLY_DENIED = frozenset(
    {
        "/v2/user/login",
        "/v2/user/register",
        "/v2/user/sms-login",
        "/v2/user/verification-code",
        "/v2/user/reset-pwd",
        "/v2/utils/get-region",
    }
)


async def build_call(cloud: Cloud, request: web.Request, ep: Endpoint) -> Call:
    check_headers(request)
    raw = await request.read()
    call = Call(cloud, request, request.match_info.get("region"))
    call.appid = request.headers.get("X-CK-Appid") or None
    if call.appid is not None:
        app = cloud.config.app(call.appid)
        if app is None or (app.oauth_only and ep.path in OAUTH_ONLY_DENIED):
            raise ApiError(APP_DENIED, "the path of request is not allowed with appid")
    authorize(call, ep.auth, raw)
    check_quota(call)
    call.body = parse_body(raw) if raw.strip() else {}
    return call


def check_quota(call: Call) -> None:
    """Free apps have a monthly call quota per region; paid ones are not counted."""
    appid = call.appid or (call.token.appid if call.token else None)
    app = call.cloud.config.app(appid) if appid else None
    if app is None or not app.oauth_only:
        return
    quota = call.cloud.settings.free_app_monthly_calls
    if not call.cloud.etiquette.allow_app_call(app.appid, call.region or "", quota):
        raise ApiError(QUOTA_EXCEEDED, "appid call quota exceeded")


def check_headers(request: web.Request) -> None:
    if request.method in ("POST", "PUT"):
        kind = request.headers.get("Content-Type", "")
        if not kind.lower().startswith("application/json"):
            raise ApiError(PARAMS, "Content-Type must be application/json")
    nonce = request.headers.get("X-CK-Nonce")
    if nonce is not None and not NONCE.match(nonce):
        raise ApiError(PARAMS, "X-CK-Nonce must be 8 letters or digits")


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(PARAMS, "params error: body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(PARAMS, "params error: body must be a JSON object")
    return body


def authorize(call: Call, auth: str, raw: bytes) -> None:
    header = call.request.headers.get("Authorization", "").strip()
    scheme, _, value = header.partition(" ")
    if not header:
        raise ApiError(PARAMS, "params incomplete: Authorization")
    if auth == "sign_or_bearer" and scheme == "Bearer":
        token = call.cloud.state.tokens_by_at.get(value.strip())
        if token is None:
            raise ApiError(401, tokens.INVALID_MSG)
        call.token = token
        return
    if auth in ("sign", "sign_or_bearer"):
        check_signature(call, scheme, value, raw)
        return
    if scheme != "Bearer":
        raise ApiError(401, tokens.INVALID_MSG)
    call.token = tokens.check_access(call.cloud.state, value.strip(), call.region)


def check_signature(call: Call, scheme: str, value: str, raw: bytes) -> None:
    """POST: HMAC over the exact body bytes; GET/DELETE: over the sorted `k=v` query."""
    if call.appid is None:
        raise missing("X-CK-Appid")
    secret = call.cloud.config.secret_for(call.appid) or ""
    if scheme != "Sign":
        raise SIGN_FAILED
    if call.request.method in ("POST", "PUT"):
        candidates = [raw]
    else:
        decoded = sorted_query_message(call.request.query.items())
        raw_pairs = [tuple(p.split("=", 1)) for p in call.request.query_string.split("&") if p]
        candidates = [decoded, sorted_query_message(p for p in raw_pairs if len(p) == 2)]
    if not any(signature_matches(secret, message, value) for message in candidates):
        raise SIGN_FAILED
