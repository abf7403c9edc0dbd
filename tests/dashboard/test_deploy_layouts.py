"""The deployment layouts: compose profiles, one migration run per start, proxy configs that
the proxies themselves accept (a missing proxy fails the test in CI, where it is installed)."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "docker-compose.yml").read_text()
SERVICES = COMPOSE[COMPOSE.index("\nservices:\n") : COMPOSE.index("\nvolumes:\n") + 1]
NAMES = re.findall(r"^  ([\w-]+):$", SERVICES, re.M)
APP_SERVICES = {
    "single": ["web", "worker", "beat", "realtime"],
    "scaled": ["scaled-web", "scaled-realtime-0", "scaled-realtime-1", "scaled-beat"],
}
MIGRATE = {"single": "migrate", "scaled": "scaled-migrate"}


def _service(name: str) -> str:
    match = re.search(rf"^  {re.escape(name)}:\n(.*?)(?=^  [\w-]+:\n|\Z)", SERVICES, re.M | re.S)
    assert match, f"no service {name}"
    return match.group(1)


def _profiles(name: str) -> set[str]:
    block = _service(name)
    own = re.search(r"^    profiles: \[(.*)\]$", block, re.M)
    if own:
        return {p.strip() for p in own.group(1).split(",")}
    anchor = re.search(r"<<: \*(\S+)", block)
    assert anchor, f"{name} has no profile"
    base = COMPOSE[COMPOSE.index(f"&{anchor.group(1)}") :].split("\n\n", 1)[0]
    inherited = re.search(r"^  profiles: \[(.*)\]$", base, re.M)
    assert inherited, f"{name} has no profile"
    return {p.strip() for p in inherited.group(1).split(",")}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed: .ci/run installs it to check deploy/")
    pytest.skip(f"{name} not on PATH (CI installs it)")


def test_every_service_belongs_to_a_layout():
    for name in NAMES:
        assert _profiles(name) <= {"single", "scaled", "workers"}, name
    assert _profiles("scaled-worker") == {"scaled", "workers"}  # a worker machine runs only it
    assert "COMPOSE_PROFILES=single" in (ROOT / ".env.example").read_text()


@pytest.mark.parametrize("layout", ["single", "scaled"])
def test_migrations_run_once_before_any_app_process(layout):
    migrating = [name for name in NAMES if 'manage.py", "migrate' in _service(name)]
    migrating = [name for name in migrating if layout in _profiles(name)]
    assert migrating == [MIGRATE[layout]]
    assert 'restart: "no"' in _service(MIGRATE[layout])
    for name in APP_SERVICES[layout]:
        block = _service(name)
        assert "migrate" not in re.sub(r"depends_on.*", "", block, flags=re.S), name
        after = "*after-migrate" in block or "*app" in block
        assert after, f"{name} does not wait for {MIGRATE[layout]}"
    anchor = "x-app: &app" if layout == "single" else "x-after-migrate: &after-migrate"
    head = COMPOSE[COMPOSE.index(anchor) :].split("\n\n", 1)[0]
    assert re.search(rf"{MIGRATE[layout]}:\n\s+condition: service_completed_successfully", head)


def test_scaled_realtime_shards_cover_every_account_once():
    shards = [
        re.search(r'"--shard", "(\d+)/(\d+)"', _service(name)).groups()  # type: ignore[union-attr]
        for name in NAMES
        if name.startswith("scaled-realtime-")
    ]
    counts = {count for _, count in shards}
    assert len(counts) == 1
    assert sorted(int(index) for index, _ in shards) == list(range(int(counts.pop())))


def test_the_scaled_layout_never_falls_back_to_local_databases():
    managed = COMPOSE[COMPOSE.index("x-managed: &managed") :].split("\n\n", 1)[0]
    assert "DATABASE_URL: ${DATABASE_URL:-postgres://set-DATABASE_URL-in-.env.invalid/" in managed
    assert "REDIS_URL: ${REDIS_URL:-redis://set-REDIS_URL-in-.env.invalid:" in managed
    for name in NAMES:
        if name.startswith("scaled-"):
            assert "postgres:" not in _service(name)
            assert "redis:\n" not in _service(name)


@pytest.mark.parametrize("profile", ["single", "scaled", "workers"])
def test_compose_accepts_each_profile(tmp_path, profile):
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        [_tool("docker-compose"), "--profile", profile, "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("site", [":80", "dash.example.com"])
def test_caddy_accepts_the_caddyfile(site, tmp_path):
    result = subprocess.run(
        [_tool("caddy"), "validate", "--adapter", "caddyfile", "--config", "deploy/Caddyfile"],
        cwd=ROOT,
        env={**os.environ, "SITE_ADDRESS": site, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dash.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _nginx_test(tmp_path: Path, config: str) -> subprocess.CompletedProcess[str]:
    cert, key = _self_signed(tmp_path)
    config = config.replace("/etc/letsencrypt/live/dash.example.com/fullchain.pem", str(cert))
    config = config.replace("/etc/letsencrypt/live/dash.example.com/privkey.pem", str(key))
    path = tmp_path / "nginx.conf"
    path.write_text(config)
    return subprocess.run(
        [_tool("nginx"), "-t", "-q", "-p", str(tmp_path), "-e", "stderr", "-c", str(path),
         "-g", f"pid {tmp_path}/nginx.pid;"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )  # fmt: skip


def test_nginx_accepts_nginx_conf_and_would_refuse_a_broken_one(tmp_path):
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    result = _nginx_test(tmp_path, config)
    assert result.returncode == 0, result.stderr
    broken = _nginx_test(tmp_path, config.replace("least_conn;", "least_conn"))
    assert broken.returncode != 0


def test_both_proxies_pass_websockets_and_only_their_own_forwarded_address():
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    assert "proxy_set_header Connection $connection_upgrade;" in nginx
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "trusted_proxies" not in caddy  # Caddy then drops client-written X-Forwarded-For
    assert "dynamic a {$WEB_UPSTREAM:scaled-web} 8000" in caddy
