"""The whole system as processes, like production, and a real Chromium to look at it.

`live_stack` starts cloudsim, prepares a database of its own (a `<name>_e2e` PostgreSQL
database when DATABASE_URL points at PostgreSQL, else a SQLite file), runs the same management
commands as a fresh install, then starts Daphne, the realtime worker and a Celery worker.
Every process is stopped when the e2e package is done, failed or not; a failing test gets
their logs attached.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from cloudsim.testing import RunningCloudsim, start_cloudsim

ROOT = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, "manage.py"]
CHROMIUM = "/usr/bin/chromium"
PR_SET_PDEATHSIG = 1
ACTION_TIMEOUT_MS = 10_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)
LOG_TAIL = 6000  # characters of each process log attached to a failing test


@dataclass
class Service:
    """A long-running subprocess with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM (clean shutdown), then SIGKILL to its process group after 5 s. Idempotent."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # Not reaped yet, so the group id is still ours: this reaches only its own tree.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@dataclass
class LiveStack:
    """The running system: where it answers, how to drive the cloud, who can sign in."""

    url: str
    sim: RunningCloudsim
    env: dict[str, str]
    tmp: Path
    email: str
    password: str
    services: list[Service] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws/household/"

    def manage(self, *args: str, timeout: float = 60) -> str:
        """Run a management command against the stack's database; its stdout."""
        return run_manage(self.env, self.tmp, *args, timeout=timeout)

    def device_id(self, name: str) -> str:
        """cloudsim's deviceid of the demo device called `name`."""
        devices = self.sim.control("GET", "/devices")
        items = devices["devices"] if isinstance(devices, dict) else devices
        for device in items:
            if device.get("name") == name:
                return str(device["deviceid"])
        raise LookupError(f"cloudsim has no device named {name!r}")

    def device_params(self, name: str) -> dict[str, Any]:
        return self.sim.control("GET", f"/devices/{self.device_id(name)}")["params"]

    def apikey_of(self, device_name: str) -> str:
        """apikey of the cloud account owning a device."""
        device = self.sim.control("GET", f"/devices/{self.device_id(device_name)}")
        return str(device.get("owner") or device.get("apikey"))

    def logs(self) -> str:
        parts = [
            f"--- {s.name} (exit {s.process.poll()}) ---\n{s.log()[-LOG_TAIL:]}"
            for s in self.services
        ]
        parts.append(f"--- cloudsim ---\n{self.sim.stderr_text()[-LOG_TAIL:]}")
        return "\n".join(parts)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_manage(env: dict[str, str], tmp: Path, *args: str, timeout: float = 60) -> str:
    result = subprocess.run(
        [*MANAGE, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _die_with_parent() -> None:
    """Linux: SIGTERM this child if pytest itself dies (SIGKILL, OOM) before its teardown."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_service(name: str, args: list[str], env: dict[str, str], tmp: Path) -> Service:
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches any child
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    service = Service(name, process, log_path)
    atexit.register(service.stop)  # also on an interrupted session; a no-op once stopped
    return service


def wait_http(url: str, service: Service, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited early:\n{service.log()[-LOG_TAIL:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{service.name} did not answer {url} in {timeout} s")


@contextlib.contextmanager
def e2e_database(tmp: Path) -> Iterator[str]:
    """A database the subprocesses share: `<name>_e2e` on PostgreSQL (CI), else SQLite."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://", "pgsql://")):
        yield f"sqlite:///{tmp / 'e2e.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'postgres'}_e2e"
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))

    def admin(statement: sql.Composable) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    admin(drop)
    admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin(drop)


@pytest.fixture(scope="package")
def live_stack(redis_url: str) -> Iterator[LiveStack]:
    """cloudsim + database + Daphne + run_realtime + a Celery worker, set up like a fresh
    install."""
    tmp = Path(tempfile.mkdtemp(prefix="e2e-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
        sim = start_cloudsim("--demo")
        cleanup.callback(sim.stop)
        # Devices change only when a test changes them: what a test asserts never races the
        # demo's own drift and outages, nor a meter's live reports while its page is open.
        sim.control("POST", "/settings", {"behaviour_rate": 0, "live_reports": False})
        database_url = cleanup.enter_context(e2e_database(tmp))
        (tmp / "var").mkdir()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "VAR_DIR": str(tmp / "var"),
            "EWELINK_BASE_URL": sim.api_template,
            "EWELINK_APP_ID": sim.appid,
            "EWELINK_APP_SECRET": sim.secret,
            "CHANNELS_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
            "DEBUG": "false",
            # Many tests call one demo account within minutes: a shorter pacing window, so the
            # cloud etiquette (checked in tests/ewelink) never makes a test wait for minutes.
            "EWELINK_GOVERNOR_SCALE": "0.1",
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "PYTHONUNBUFFERED": "1",
            # A hung firmware upgrade fails within a test's patience, not in ten minutes.
            "OTA_UPGRADE_TIMEOUT_S": "20",
            # Metrics as an operator turns them on (tests/e2e/test_ops_metrics.py scrapes them),
            # and every process's log at DEBUG, as JSON (test_ops_metrics greps it for secrets).
            "METRICS_TOKEN": f"e2e-metrics-{uuid.uuid4().hex}",
            "METRICS_PORT_REALTIME": str(free_port()),
            "METRICS_PORT_CELERY": str(free_port()),
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": "json",
        }
        # collectstatic needs no database: it runs beside migrate to save a few seconds.
        collect = start_service("collectstatic", [*MANAGE, "collectstatic", "--noinput"], env, tmp)
        cleanup.callback(collect.stop)
        run_manage(env, tmp, "migrate", "--noinput")
        run_manage(env, tmp, "bootstrap_demo")
        email, password = (tmp / "var" / "demo_credentials").read_text().strip().split(" / ")
        port = free_port()
        stack = LiveStack(f"http://127.0.0.1:{port}", sim, env, tmp, email, password)
        cleanup.callback(lambda: [s.stop() for s in reversed(stack.services)])
        daphne = start_service(
            "daphne",
            [sys.executable, "-m", "dashboard.serve", "-b", "127.0.0.1", "-p", str(port),
             "dashboard.asgi:application"],
            env,
            tmp,
        )  # fmt: skip
        stack.services.append(daphne)
        run_manage(env, tmp, "link_demo", timeout=120)  # while Daphne starts
        stack.services.append(start_service("run_realtime", [*MANAGE, "run_realtime"], env, tmp))
        # Resync and the first sync after linking run here, as in production (no beat: the
        # periodic jobs would change what tests look at on their own schedule).
        worker_name = f"{env['CHANNELS_PREFIX']}@localhost"
        stack.services.append(
            start_service(
                "celery_worker",
                [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "-P", "solo",
                 "-c", "1", "-l", "warning", "-n", worker_name, "--without-mingle",
                 "--without-gossip"],
                env,
                tmp,
            )
        )  # fmt: skip
        if collect.process.wait(timeout=60) != 0:
            raise RuntimeError(f"collectstatic failed:\n{collect.log()}")
        wait_http(f"{stack.url}/healthz", daphne)
        _RUNNING.append(stack)
        cleanup.callback(_RUNNING.remove, stack)
        yield stack


# The stack of this session, so a failing test's report can carry the processes' logs.
_RUNNING: list[LiveStack] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed and _RUNNING:
        report.sections.append(("live stack logs", _RUNNING[0].logs()))
    return report


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM if os.path.exists(CHROMIUM) else None,
        args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
    )
    yield launched
    launched.close()


@pytest.fixture
def new_tab(browser: Browser, live_stack: LiveStack) -> Iterator[Callable[..., Page]]:
    """Opens tabs in fresh browser profiles (closed after the test), 10 s default timeout."""
    contexts: list[BrowserContext] = []

    def open_tab(**options: Any) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(base_url=live_stack.url, **options)
        # Generous for a loaded machine (CI, a second suite): a real failure still fails.
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_tab: Callable[..., Page]) -> Page:
    """An anonymous visitor."""
    return new_tab()


def sign_in(page: Page, email: str, password: str) -> None:
    """Through the login form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)


@pytest.fixture(scope="package")
def owner_cookies(browser: Browser, live_stack: LiveStack) -> dict[str, Any]:
    """The demo owner signed in once (password hashing is slow on a busy machine)."""
    context = browser.new_context(base_url=live_stack.url)
    try:
        sign_in(context.new_page(), live_stack.email, live_stack.password)
        return dict(context.storage_state())
    finally:
        context.close()


@pytest.fixture(scope="package")
def _role_sessions() -> dict[str, dict[str, Any]]:
    """Role → browser state of its person, signed in once per package."""
    return {}


@pytest.fixture
def role_cookies(
    browser: Browser, live_stack: LiveStack, _role_sessions: dict[str, dict[str, Any]]
) -> Iterator[Callable[[str], dict[str, Any]]]:
    """`role_cookies("guest")`: a person of that role in the demo household, signed in.

    They are members for this test only: other tests see the demo household as it was.
    """
    from tests.e2e.things import make_role_cookies, set_memberships

    used: set[str] = set()

    def for_role(role: str) -> dict[str, Any]:
        if role not in _role_sessions:
            _role_sessions[role] = make_role_cookies(browser, live_stack, role)
        elif role not in used:
            set_memberships(live_stack, [role], present=True)
        used.add(role)
        return _role_sessions[role]

    yield for_role
    if used:
        set_memberships(live_stack, sorted(used), present=False)


@pytest.fixture
def owner_tab(new_tab: Callable[..., Page], owner_cookies: dict[str, Any]) -> Page:
    """A tab of the signed-in demo owner, not yet on any page."""
    return new_tab(storage_state=owner_cookies)


@pytest.fixture
def owner_page(owner_tab: Page) -> Page:
    """The demo owner's dashboard, live (the page websocket delivered its snapshot)."""
    owner_tab.goto("/")
    wait_live(owner_tab)
    return owner_tab


def wait_live(page: Page, timeout: float = 20_000) -> None:
    """The page got its snapshot and every account's cloud socket is up (no stale card).

    Right after the stack starts, the worker may still be connecting an account: its cards
    are rightly stale until then.
    """
    page.locator('[data-live-status][data-state="live"]').wait_for(timeout=timeout)
    page.wait_for_function("!document.querySelector('.card--stale')", timeout=timeout)
