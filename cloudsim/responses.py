"""The REST envelope `{"error", "msg", "data"}` and the error codes the cloud uses."""

from __future__ import annotations

from typing import Any

from aiohttp import web

OK = 0
PARAMS = 400
TOKEN_INVALID = 401
TOKEN_EXPIRED = 402
NOT_FOUND_API = 403
NOT_FOUND = 405
DENIED = 406
APP_DENIED = 407
QUOTA_EXCEEDED = 412
# Chosen for the etiquette limiter and the rate_limit fault (documented in README).
RATE_LIMITED = 429
SERVER = 500
CONTROL_FAILED = 4002
WRONG_PASSWORD = 10001
WRONG_CODE = 10002
NO_USER = 10003
REDIRECT = 10004
USER_EXISTS = 10009
CODE_TOO_FAST = 10010
HOME_LIMIT = 20002
LAST_HOME = 20003
SHARE_NO_USER = 30008
DEVICEID_FORMAT = 30010
DIGEST = 30015
DEVICE_UNKNOWN = 30018
BATCH_OFFLINE = 30022


class ApiError(Exception):
    """Raised by handlers; rendered as the cloud's error envelope (HTTP 200)."""

    def __init__(self, code: int, msg: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.data = data or {}


def envelope(code: int, msg: str, data: Any) -> web.Response:
    """The cloud answers HTTP 200 with the outcome in the body."""
    return web.json_response({"error": code, "msg": msg, "data": data})


def ok(data: Any = None) -> web.Response:
    return envelope(OK, "", data if data is not None else {})


def error(exc: ApiError) -> web.Response:
    return envelope(exc.code, exc.msg, exc.data)


def missing(name: str) -> ApiError:
    return ApiError(PARAMS, f"params incomplete: {name}")


def ill_typed(name: str) -> ApiError:
    return ApiError(PARAMS, f"params error: {name}")
