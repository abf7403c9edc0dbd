"""Signing vectors from the API document and the protocol notes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

from ewelink import build_authorization_url
from ewelink.signing import (
    device_digest,
    encode_body,
    make_nonce,
    oauth_authorization,
    query_string_to_sign,
    sha256_hex,
    sign_body,
    sign_query,
)


def test_oauth_authorization_vector_from_notes() -> None:
    assert oauth_authorization("ABC", "abc", 123) == "v1+mfNY2ukxswM8sZOTg99srZsVnUVv9DGXeav1096M="


def test_sha256_digest_example_from_api_document() -> None:
    expected = "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3"
    assert sha256_hex("123") == expected
    assert device_digest("12", "3") == expected


def test_body_signature_covers_exact_bytes() -> None:
    body = encode_body({"b": 1, "a": "é"})
    assert body == '{"b":1,"a":"é"}'.encode()
    expected = base64.b64encode(hmac.new(b"secret", body, hashlib.sha256).digest()).decode()
    assert sign_body("secret", body) == "Sign " + expected
    # A differently spaced serialisation of the same object signs differently (notes §1.3).
    assert sign_body("secret", json.dumps({"b": 1, "a": "é"}).encode()) != sign_body("secret", body)


def test_query_is_sorted_and_unencoded() -> None:
    params = {"nonce": "a b", "deviceid": "100", "appid": "x+y"}
    assert query_string_to_sign(params) == "appid=x+y&deviceid=100&nonce=a b"
    message = b"appid=x+y&deviceid=100&nonce=a b"
    digest = base64.b64encode(hmac.new(b"k", message, hashlib.sha256).digest()).decode()
    assert sign_query("k", params) == "Sign " + digest


def test_nonce_is_eight_alphanumerics_and_random() -> None:
    nonces = {make_nonce() for _ in range(50)}
    assert len(nonces) > 45
    assert all(len(n) == 8 and n.isalnum() and n.isascii() for n in nonces)


def test_authorization_url_carries_every_parameter() -> None:
    url = build_authorization_url(
        app_id="ABC",
        app_secret="abc",
        redirect_url="https://dash.example/cb",
        state="s1",
        seq=123,
        nonce="abcd1234",
        base_url_template="http://127.0.0.1:8181/{region}",
    )
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:8181/oauth/index.html"
    )
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query == {
        "clientId": "ABC",
        "seq": "123",
        "authorization": "v1+mfNY2ukxswM8sZOTg99srZsVnUVv9DGXeav1096M=",
        "redirectUrl": "https://dash.example/cb",
        "grantType": "authorization_code",
        "state": "s1",
        "nonce": "abcd1234",
    }


def test_authorization_url_defaults_to_real_page() -> None:
    url = build_authorization_url(app_id="A", app_secret="s", redirect_url="r", state="x")
    assert url.startswith("https://c2ccdn.coolkit.cc/oauth/index.html?clientId=A&seq=")
