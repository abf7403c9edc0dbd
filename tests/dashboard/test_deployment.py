"""The shipped compose deployment: only the proxy is published, the app trusts only it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dashboard.healthcheck import probe_host

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "docker-compose.yml").read_text()
SERVICES = COMPOSE[COMPOSE.index("\nservices:\n") : COMPOSE.index("\nvolumes:\n") + 1]


def _service(name: str) -> str:
    """The text of one top-level service block of docker-compose.yml."""
    match = re.search(rf"^  {name}:\n(.*?)(?=^  \S|\Z)", SERVICES, re.M | re.S)
    assert match, f"no service {name}"
    return match.group(1)


def test_only_the_proxy_is_published():
    published = [
        name for name in re.findall(r"^  (\w+):$", SERVICES, re.M) if "ports:" in _service(name)
    ]
    assert published == ["proxy"]
    assert "web:8000" in _service("proxy")


def test_web_does_not_let_daphne_take_the_client_written_address():
    web = _service("web")
    # Daphne's --proxy-headers makes the left-most X-Forwarded-For entry, which the client
    # writes, the address every later check (sign-in throttling included) sees.
    assert "--proxy-headers" not in web
    assert "daphne" in web


def test_the_app_trusts_exactly_the_one_shipped_proxy_and_redis_needs_a_password():
    app = COMPOSE[COMPOSE.index("x-app:") : COMPOSE.index("services:")]
    assert re.search(r'TRUSTED_PROXY_COUNT: "1"', app)
    assert re.search(r"REDIS_URL: redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379/0", app)
    assert "--requirepass" in _service("redis")


def test_compose_config_is_valid_with_a_copy_of_env_example(tmp_path):
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        ["docker-compose", "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("allowed", "host"),
    [("dash.example.com,other", "dash.example.com"), ("", "localhost"), ("*", "localhost"),
     (".example.com", "healthcheck.example.com")],
)  # fmt: skip
def test_the_healthcheck_asks_with_a_host_the_site_answers_to(allowed, host):
    assert probe_host(allowed) == host
