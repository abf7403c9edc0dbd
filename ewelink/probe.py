"""A harmless signed call that tells whether the app id and secret work in a region.

The OAuth token exchange (notes §1.7) is signed and open to every APPID, free ones too. With a
code that cannot exist, a correct signature gets "invalid code" and a wrong one a sign error,
so nothing is created, linked or revoked either way. The answer's Date header gives the cloud's
clock for a skew check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal

import aiohttp

from ewelink.regions import Endpoints, Region
from ewelink.signing import encode_body, make_nonce, sign_body

PROBE_PATH = "/v2/user/oauth/token"
PROBE_CODE = "doctor-probe-not-a-code"
# The codes and words a rejected signature or app id comes back with (notes §1.3, §1.8).
_SIGN_CODES = frozenset({401, 403, 406})
_SIGN_WORDS = ("sign", "appid", "authentication failed", "oauthclient")
# An unknown code (405, or 400/10003-style "not found") means the signature was accepted.
_CODE_REJECTED = frozenset({405, 400, 10003})

Outcome = Literal["ok", "bad_signature", "not_allowed", "unreachable", "unexpected"]


@dataclass(frozen=True)
class ProbeResult:
    """What the cloud said to the probe, and when by its own clock."""

    outcome: Outcome
    detail: str
    server_epoch: float | None = None  # the answer's Date header, seconds since the epoch


async def probe_signing(
    session: aiohttp.ClientSession,
    *,
    app_id: str,
    app_secret: str,
    region: Region,
    base_url_template: str | None = None,
    timeout_s: float = 10.0,
) -> ProbeResult:
    """Send one signed token exchange with a code that cannot exist, and classify the answer."""
    url = Endpoints(base_url_template).api(region) + PROBE_PATH
    body = encode_body(
        {
            "code": PROBE_CODE,
            "redirectUrl": "https://invalid.example/",
            "grantType": "authorization_code",
        }
    )
    headers = {
        "X-CK-Appid": app_id,
        "X-CK-Nonce": make_nonce(),
        "Authorization": sign_body(app_secret, body),
        "Content-Type": "application/json",
    }
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as response:
            text = await response.text()
            status = response.status
            server_epoch = _epoch(response.headers.get("Date"))
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return ProbeResult("unreachable", f"{url}: {exc.__class__.__name__}: {exc}")
    return ProbeResult(*classify(status, text), server_epoch=server_epoch)


def classify(status: int, text: str) -> tuple[Outcome, str]:
    """The probe's outcome from the HTTP status and body of the cloud's answer."""
    try:
        payload = json.loads(text) if text else {}
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    code = payload.get("error")
    message = str(payload.get("msg") or "")
    detail = f"HTTP {status}, error {code}: {message}".strip()
    lowered = message.lower()
    if code == 407:
        return "not_allowed", detail
    if code in _SIGN_CODES or any(word in lowered for word in _SIGN_WORDS) or status == 401:
        return "bad_signature", detail
    if code in _CODE_REJECTED or "code" in lowered:
        return "ok", detail
    return "unexpected", detail


def _epoch(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return None
