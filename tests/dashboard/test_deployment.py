"""The shipped compose deployment: only the proxy is published, the app trusts only it."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.healthcheck import probe_host
from tests.factories import PASSWORD
from tests.fixtures.daphne import serving

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
        name for name in re.findall(r"^  ([\w-]+):$", SERVICES, re.M) if "ports:" in _service(name)
    ]
    assert published == ["proxy", "scaled-proxy"]  # one per layout
    assert "web:8000" in _service("proxy")
    assert "WEB_UPSTREAM: scaled-web" in _service("scaled-proxy")


def test_web_does_not_let_daphne_take_the_client_written_address():
    # Daphne's --proxy-headers makes the left-most X-Forwarded-For entry, which the client
    # writes, the address every later check (sign-in throttling included) sees.
    assert "--proxy-headers" not in _daphne_args(8000)


def test_daphne_refuses_websocket_messages_far_beyond_a_pages_frames():
    # The consumer drops frames over 4 KB unread; Daphne must not buffer 1 MB ones first.
    args = _daphne_args(8000)
    assert int(args[args.index("--websocket-max-message-size") + 1]) <= 65536


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


# --- The web command for real: Daphne as compose runs it, a client forging X-Forwarded-For ---


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _daphne_args(port: int) -> list[str]:
    """The web service's Daphne command line, bound to a local test port."""
    command = re.search(r"-m dashboard\.serve [^\"\n]*", _service("web"))
    assert command
    args = shlex.split(command.group(0))[2:]
    args[args.index("-b") + 1] = "127.0.0.1"
    args[args.index("-p") + 1] = str(port)
    return args


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


@contextlib.contextmanager
def _web(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """Daphne as the web service runs it; yields its base URL once it listens."""
    port = _free_port()
    with serving(_daphne_args(port), env, tmp_path / "daphne.log"):
        yield f"http://127.0.0.1:{port}"


def _clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    return {
        **env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        **values,
    }


@pytest.mark.integration
def test_the_healthcheck_passes_on_a_production_web_where_a_plain_probe_fails(tmp_path, redis_url):
    from cryptography.fernet import Fernet

    env = _clean_env(
        tmp_path, REDIS_URL=redis_url, HTTPS="true", TRUSTED_PROXY_COUNT="1",
        ALLOWED_HOSTS="dash.example.com", GENERATED_KEYS="false", SECRET_KEY="x" * 60,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )  # fmt: skip
    _manage(env, "migrate", "--noinput")  # as the web service does: /readyz wants it
    with _web(env, tmp_path) as base:
        port = base.rsplit(":", 1)[1]
        # What the compose healthcheck used to do: refused (unknown host) or redirected.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/healthz", timeout=5)
        check = subprocess.run(
            [sys.executable, "-m", "dashboard.healthcheck", port], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert check.returncode == 0, check.stderr


@pytest.mark.integration
def test_a_client_forging_forwarded_for_to_the_web_command_is_still_locked_out(tmp_path, redis_url):
    env = _clean_env(tmp_path, REDIS_URL=redis_url)
    _manage(env, "migrate", "--noinput", "-v", "0")
    create = "from tests.factories import UserFactory; UserFactory(email='victim@example.com')"
    _manage(env, "shell", "-c", create)
    with _web(env, tmp_path) as base:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{base}/accounts/login/").close()
        token = next(c.value for c in jar if c.name == "csrftoken")

        def attempt(password: str, forged: str) -> int:
            data = urllib.parse.urlencode(
                {"username": "victim@example.com", "password": password,
                 "csrfmiddlewaretoken": token}
            ).encode()  # fmt: skip
            request = urllib.request.Request(
                f"{base}/accounts/login/", data,
                headers={"X-Forwarded-For": forged, "Referer": f"{base}/accounts/login/"},
            )  # fmt: skip
            try:
                with opener.open(request) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        # LOGIN_FAILURE_LIMIT (5) failures, each "from" another forged address: still one.
        for n in range(4):
            assert attempt("wrong", f"10.0.0.{n}") == 200
        assert attempt("wrong", "10.0.0.4") == 429
        assert attempt(PASSWORD, "10.9.9.9") == 429
    seen = "from axes.models import AccessAttempt as A; print(sorted({a.ip_address for a in A.objects.all()}))"  # noqa: E501
    assert _manage(env, "shell", "-c", seen).strip().splitlines()[-1] == "['127.0.0.1']"


def test_every_package_of_ours_is_built_and_copied_into_the_image():
    """An app missing from the package list or the Dockerfile works from a checkout and fails
    only once installed: every top-level package with an __init__.py is in both."""
    import tomllib

    ours = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench", "tools"}
    }
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packaged = {name.rstrip("*") for name in found["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert ours - packaged == set()
    assert ours - copied == set()


def test_the_health_checks_ask_for_readiness_not_only_liveness():
    assert '"dashboard.healthcheck", "8000", "/readyz"' in _service("web")
    assert '"manage.py", "ready", "--celery"' in _service("worker")
    assert '"manage.py", "ready", "--realtime"' in _service("realtime")
