"""Request signatures, nonces, digests and the OAuth authorization value (notes §1.3, §1.7)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

_NONCE_ALPHABET = string.ascii_letters + string.digits


def make_nonce(length: int = 8) -> str:
    """A random string of letters and digits (the cloud wants exactly 8 characters)."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Serialise a JSON body once; these exact bytes are both signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hmac_b64(secret: str, message: bytes) -> str:
    """Base64 of the raw HMAC-SHA256 digest (not hex), as every signature in the API uses."""
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def query_string_to_sign(params: Mapping[str, object]) -> str:
    """GET parameters sorted by name and joined unencoded (URL-encoding changes the signed text)."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params))


def sign_body(secret: str, body: bytes) -> str:
    """Authorization header value for a signed POST."""
    return "Sign " + hmac_b64(secret, body)


def sign_query(secret: str, params: Mapping[str, object]) -> str:
    """Authorization header value for a signed GET."""
    return "Sign " + hmac_b64(secret, query_string_to_sign(params).encode("utf-8"))


def oauth_authorization(client_id: str, secret: str, seq: str | int) -> str:
    """The OAuth page's ``authorization`` value: Base64(HMAC-SHA256(secret, "{id}_{seq}"))."""
    return hmac_b64(secret, f"{client_id}_{seq}".encode())


def sha256_hex(text: str) -> str:
    """Lower-case hex SHA-256, the digest format of ``/v2/device/add``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def device_digest(deviceid: str, device_apikey: str) -> str:
    """``digest`` for adding a WiFi device: sha256(deviceid + device apikey), lower-case hex."""
    return sha256_hex(deviceid + device_apikey)
