"""The client's exception hierarchy: every cloud failure becomes one typed error with a code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ewelink.regions import Region, is_region


class EWeLinkError(Exception):
    """Base of every error this package raises; ``code`` is the cloud error code if any."""

    def __init__(self, message: str, code: int | None = None, data: Any = None) -> None:
        super().__init__(f"[{code}] {message}" if code is not None else message)
        self.code = code
        self.message = message
        self.data = data


class NetworkError(EWeLinkError):
    """The request never got an answer: connection refused, reset, DNS, client timeout."""


class LimitError(EWeLinkError, ValueError):
    """A documented limit was broken before anything was sent (e.g. more than 10 things)."""


class ProtocolError(EWeLinkError):
    """The server answered something that is not the documented shape."""


class ApiError(EWeLinkError):
    """The cloud answered with a non-zero ``error``."""


class AuthError(ApiError):
    """Credentials were rejected; the host should mark the account "needs relink"."""


class TokenExpiredError(AuthError):
    """402: the access token expired (refresh with ``rt``)."""


class RegionRedirectError(ApiError):
    """10004: the account lives in another region, named by ``region``."""

    def __init__(self, message: str, code: int | None = None, data: Any = None) -> None:
        super().__init__(message, code, data)
        region = data.get("region") if isinstance(data, Mapping) else None
        self.region: Region | None = region if is_region(region) else None


class AppNotAllowedError(ApiError):
    """407: this APPID may not call the path (free developer APPIDs: OAuth only)."""


class QuotaExceededError(ApiError):
    """412 or HTTP 403: the APPID's call quota is used up."""


class RateLimitedError(ApiError):
    """10010 or 429: calls or verification codes sent too fast."""


class DeviceOfflineError(ApiError):
    """503 / 4002 / 30022: the device is offline or could not be controlled."""


class DeviceTimeoutError(ApiError):
    """504: the device did not answer in time."""


class BadRequestError(ApiError):
    """400: a parameter is missing or wrong (also "sign verification failed")."""


class NotFoundError(ApiError):
    """403 "api not found" / 405 resource not found (also an expired OAuth code)."""


class PermissionDeniedError(ApiError):
    """406 on REST: no permission for this resource (e.g. a device no longer shared with us).

    Not an AuthError: the session is fine, so the host must not ask for a relink. (A 406
    answer to the websocket handshake is different: it raises AuthError there.)
    """


class ServerError(ApiError):
    """500 and other 5xx codes: the server failed; retrying idempotent calls is safe."""


_AUTH_CODES = frozenset({401, 10001, 10002, 10003})
_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequestError,
    402: TokenExpiredError,
    403: NotFoundError,
    405: NotFoundError,
    406: PermissionDeniedError,
    407: AppNotAllowedError,
    412: QuotaExceededError,
    503: DeviceOfflineError,
    4002: DeviceOfflineError,
    30022: DeviceOfflineError,
    504: DeviceTimeoutError,
    10004: RegionRedirectError,
    10010: RateLimitedError,
    429: RateLimitedError,  # not in the document; what an HTTP-minded limiter answers
}


def error_for_code(code: int, message: str = "", data: Any = None) -> ApiError:
    """Map a cloud error code to the matching exception instance."""
    if code in _AUTH_CODES:
        cls: type[ApiError] = AuthError
    elif code in _BY_CODE:
        cls = _BY_CODE[code]
    elif 500 <= code < 600:
        cls = ServerError
    else:
        cls = ApiError
    return cls(message or _DEFAULT_MESSAGES.get(code, "cloud error"), code, data)


def error_for_http_status(status: int, text: str = "") -> ApiError:
    """Map an HTTP status without a JSON error body (quota 403, proxies' 5xx, 429)."""
    snippet = text[:200]
    if status == 403:
        return QuotaExceededError(snippet or "forbidden (quota exceeded?)", 412)
    if status == 429:
        return RateLimitedError(snippet or "too many requests", 10010)
    if status in (401, 402):
        return error_for_code(status, snippet)
    if status >= 500:
        return ServerError(snippet or f"HTTP {status}", status)
    return ApiError(snippet or f"HTTP {status}", status)


_DEFAULT_MESSAGES: dict[int, str] = {
    400: "parameter error",
    401: "access token invalid (logged in elsewhere?)",
    402: "access token expired",
    403: "interface not found",
    405: "resource not found",
    406: "access denied",
    407: "appid has no permission for this path",
    412: "appid call quota exceeded",
    500: "internal server error",
    503: "device offline",
    504: "device did not respond",
    4002: "device control failed",
    10001: "incorrect password",
    10003: "user does not exist",
    10004: "account is in another region",
    10010: "sending too fast",
    30022: "device offline",
}
