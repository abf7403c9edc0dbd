"""The CoolKit signature rules: HMAC-SHA256 with the app secret, base64 of the raw digest."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def sign_bytes(secret: str, message: bytes) -> str:
    """Base64(HMAC-SHA256(secret, message)) — the value after `Sign ` in Authorization."""
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sorted_query_message(pairs: Iterable[tuple[str, str]]) -> bytes:
    """GET rule: params sorted by name, joined `k=v` with `&`, values not URL-encoded."""
    return "&".join(f"{k}={v}" for k, v in sorted(pairs, key=lambda kv: kv[0])).encode()


def oauth_authorization(secret: str, client_id: str, seq: str) -> str:
    """The `authorization` query value of the OAuth page: sign f"{clientId}_{seq}"."""
    return sign_bytes(secret, f"{client_id}_{seq}".encode())


def signature_matches(secret: str, message: bytes, claimed: str) -> bool:
    """Constant-time check of a claimed signature."""
    return hmac.compare_digest(sign_bytes(secret, message), claimed.strip())


def device_digest(deviceid: str, devicekey: str) -> str:
    """Add-device digest: lowercase hex sha256 of deviceid + the device's factory apikey."""
    return hashlib.sha256((deviceid + devicekey).encode()).hexdigest()
