"""The real process: the ready line, --app, --state across restarts, --demo, TLS."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import ssl
import urllib.request
from pathlib import Path

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cloudsim.testing import serve_in_process, start_cloudsim
from tests.waiting import async_until

READY_KEYS = {
    "cloudsim",
    "base_url",
    "api_template",
    "regions",
    "websocket",
    "oauth_page",
    "get_region",
    "control",
    "apps",
    "demo",
}


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def login(
    base: str,
    region: str,
    appid: str,
    secret: str,
    email: str,
    password: str,
    context: ssl.SSLContext | None = None,
) -> dict:
    body = json.dumps({"countryCode": "+44", "email": email, "password": password}).encode()
    request = urllib.request.Request(
        f"{base}/{region}/v2/user/login",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-CK-Appid": appid,
            "Authorization": f"Sign {sign(secret, body)}",
        },
    )
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return json.loads(response.read())


def test_ready_line_custom_app_and_state_survives_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "sim.json"
    args = ("--state", str(state_file), "--app", "myappid123:mysecret456")
    sim = start_cloudsim(*args)
    try:
        assert set(sim.info) >= READY_KEYS
        assert sim.info["cloudsim"] == "ready"
        port = int(sim.base_url.rsplit(":", 1)[1])
        assert port > 0
        assert sim.info["websocket"] == f"ws://127.0.0.1:{port}/api/ws"
        assert sim.info["regions"]["eu"]["dispatch"] == f"{sim.base_url}/eu/dispatch/app"
        assert sim.info["apps"] == [
            {"appid": "myappid123", "secret": "mysecret456", "oauth_only": False}
        ]
        account = sim.control(
            "POST",
            "/accounts",
            {"region": "eu", "email": "keep@example.com", "password": "pw", "countryCode": "+44"},
        )
        device = sim.control(
            "POST", "/devices", {"owner": account["apikey"], "uiid": 2, "name": "Kept"}
        )
        sim.control(
            "POST",
            f"/devices/{device['deviceid']}/params",
            {"params": {"switches": [{"switch": "on", "outlet": 1}]}},
        )
        first = login(sim.base_url, "eu", sim.appid, sim.secret, "keep@example.com", "pw")
        assert first["error"] == 0
    finally:
        sim.stop()
    assert state_file.exists()
    again = start_cloudsim(*args)
    try:
        profile = urllib.request.Request(
            f"{again.base_url}/eu/v2/user/profile",
            headers={"Authorization": f"Bearer {first['data']['at']}"},
        )
        with urllib.request.urlopen(profile, timeout=10) as response:
            assert json.loads(response.read())["data"]["user"]["apikey"] == account["apikey"]
        kept = again.control("GET", f"/devices/{device['deviceid']}")
        assert kept["name"] == "Kept"
        assert kept["params"]["switches"][1]["switch"] == "on"
        assert again.control("GET", "/accounts")[0]["apikey"] == account["apikey"]
        second = login(again.base_url, "eu", again.appid, again.secret, "keep@example.com", "pw")
        assert second["error"] == 0
    finally:
        again.stop()


def test_demo_household(tmp_path: Path) -> None:
    sim = start_cloudsim("--demo")
    try:
        demo = sim.info["demo"]
        assert [(d["region"], d["email"]) for d in demo] == [
            ("eu", "demo-eu@example.com"),
            ("us", "demo-us@example.com"),
            ("eu", "demo-eu-guest@example.com"),
        ]
        assert all(d["password"] and d["apikey"] for d in demo)
        devices = sim.control("GET", "/devices")
        assert len(devices) >= 25
        uiids = {d["uiid"] for d in devices}
        assert {
            1,
            2,
            22,
            44,
            59,
            103,
            104,
            11,
            15,
            28,
            32,
            34,
            102,
            126,
            130,
            168,
            190,
            1257,
            1514,
            1770,
            2026,
            2256,
            3026,
            3258,
            4026,
            5026,
            7017,
        } <= uiids
        assert any(d["shared_with"] for d in devices)
        assert any(d["ota_version"] for d in devices)
        assert any(d["parentid"] for d in devices)
        assert any(not d["online"] for d in devices)
        eu = demo[0]
        reply = login(sim.base_url, "eu", sim.appid, sim.secret, eu["email"], eu["password"])
        assert reply["error"] == 0
        messages = urllib.request.Request(
            f"{sim.base_url}/eu/v2/message/read",
            headers={"Authorization": f"Bearer {reply['data']['at']}"},
        )
        with urllib.request.urlopen(messages, timeout=10) as response:
            kinds = {m["msgType"] for m in json.loads(response.read())["data"]["messageList"]}
        assert "alarmNotify_v2" in kinds
    finally:
        sim.stop()
    again = start_cloudsim("--demo")
    try:
        assert again.info["demo"][0]["apikey"] == demo[0]["apikey"]
        ids = sorted(d["deviceid"] for d in again.control("GET", "/devices"))
        assert ids == sorted(d["deviceid"] for d in devices)
    finally:
        again.stop()


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_tls_serves_https_and_wss(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    sim = start_cloudsim("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert sim.base_url.startswith("https://")
        assert sim.info["websocket"].startswith("wss://")
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        account = sim.control(
            "POST",
            "/accounts",
            {"region": "us", "email": "tls@example.com", "password": "pw", "countryCode": "+1"},
        )
        data = login(sim.base_url, "us", sim.appid, sim.secret, "tls@example.com", "pw", context)
        assert data["error"] == 0
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(sim.info["websocket"], ssl=context)
            await ws.send_str(
                json.dumps(
                    {
                        "action": "userOnline",
                        "at": data["data"]["at"],
                        "apikey": account["apikey"],
                        "appid": sim.appid,
                        "nonce": "abcd1234",
                        "userAgent": "app",
                        "version": 8,
                        "sequence": "1",
                    }
                )
            )
            reply = json.loads((await ws.receive(timeout=5)).data)
            assert reply["error"] == 0
            assert reply["sequence"] == "1"
            await ws.close()
    finally:
        sim.stop()


async def test_state_is_saved_periodically(tmp_path: Path) -> None:
    state_file = tmp_path / "periodic.json"
    async with serve_in_process(state_file=str(state_file), save_interval=0.1) as sim:
        await sim.acontrol(
            "POST",
            "/accounts",
            {"region": "as", "email": "p@example.com", "password": "pw", "countryCode": "+81"},
        )

        def saved_accounts() -> list:
            return json.loads(state_file.read_text())["accounts"] if state_file.exists() else []

        await async_until(lambda: bool(saved_accounts()), what="a periodic save of the account")
        assert [a["email"] for a in saved_accounts()] == ["p@example.com"]
