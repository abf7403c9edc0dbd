"""`make run` heals: kill -9 one process after another under the launcher; the open dashboard
comes back by itself each time (a cloud change reaches its card, a click reaches the cloud).

The launcher runs as `make run` runs it: the embedded default (SQLite, embedded Redis,
cloudsim with the demo), on a temporary VAR_DIR and free ports. Each child's pid is read from
the supervisor's VAR_DIR/run/NAME.pid. The recovery time of each is printed (`-s` shows it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import ROOT, free_port, run_manage, sign_in, wait_live

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

DEVICE = "Kitchen light"
UP_WITHIN = 120  # seconds for the launcher to be up, demo linked
# A killed realtime worker's leases lapse after 15 s before its successor takes the accounts.
RECOVERY_WITHIN = 45  # seconds, per process kind


@dataclass
class Launched:
    """The launcher process, where it serves, and the cloud it simulates."""

    process: subprocess.Popen[bytes]
    url: str
    control_url: str
    var: Path
    log_path: Path
    email: str
    password: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pid(self, name: str) -> int:
        path = self.var / "run" / f"{name}.pid"
        return int(path.read_text()) if path.exists() else 0

    def sim(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.control_url + path, data=data, method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def device_id(self, name: str) -> str:
        devices = self.sim("GET", "/devices")
        items = devices["devices"] if isinstance(devices, dict) else devices
        return next(str(d["deviceid"]) for d in items if d.get("name") == name)

    def switch(self, name: str) -> str:
        return str(self.sim("GET", f"/devices/{self.device_id(name)}")["params"]["switch"])


def _environment(var: Path, port: int, sim_port: int) -> dict[str, str]:
    """`make run`'s: nothing configured, so every service is the embedded one."""
    unset = ("DATABASE_URL", "REDIS_URL", "EWELINK_BASE_URL", "EWELINK_APP_ID",
             "EWELINK_APP_SECRET", "CHANNELS_PREFIX", "KEYS_DIR", "STATIC_ROOT")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        VAR_DIR=str(var), PORT=str(port), CLOUDSIM_PORT=str(sim_port), PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="dashboard.settings", DEBUG="false",
        EWELINK_GOVERNOR_SCALE="0.1",  # the cloud etiquette's pacing, shortened as in e2e
    )  # fmt: skip
    return env


@pytest.fixture(scope="module")
def launched() -> Iterator[Launched]:
    tmp = Path(tempfile.mkdtemp(prefix="heal-"))
    var = tmp / "var"
    port, sim_port = free_port(), free_port()
    env = _environment(var, port, sim_port)
    # What `make run` does before the launcher.
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v", "0"],
                 ["bootstrap_demo"]):  # fmt: skip
        run_manage(env, tmp, *step, timeout=120)
    email, password = (var / "demo_credentials").read_text().strip().split(" / ")
    log_path = tmp / "launcher.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.launcher"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    run = Launched(
        process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sim_port}/_sim", var,
        log_path, email, password,
    )  # fmt: skip
    try:
        _wait(lambda: f"Dashboard: {run.url}/" in run.log(), UP_WITHIN, "the launcher's banner")
        run.sim("POST", "/settings", {"behaviour_rate": 0, "live_reports": False})  # still devices
        yield run
    finally:
        _stop(run, tmp)


def _stop(run: Launched, tmp: Path) -> None:
    """SIGTERM, as systemd and Ctrl-C stop it; then check it stopped everything."""
    pids = [run.pid(name) for name in ("redis", "cloudsim", "web", "realtime", "worker", "beat")]
    try:
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGTERM)
            run.process.wait(timeout=60)
    finally:
        # Children have sessions of their own (0: no pid file, and killpg(0) would be ours).
        for pid in [run.process.pid, *pids]:
            if pid > 0:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
        # Kept after the run (the temp dir is removed), so a person can look at it.
        with contextlib.suppress(OSError):
            shutil.copy(run.log_path, Path(tempfile.gettempdir()) / "heal-launcher-last.log")
        shutil.rmtree(tmp, ignore_errors=True)


def _wait(check: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - start


def card(page: Page, name: str) -> Locator:
    title = page.get_by_role("heading", name=name, exact=True)
    return page.locator("article[data-thing]").filter(has=title)


def power(page: Page, name: str) -> Locator:
    return card(page, name).get_by_role("button", name="Power")


def _cloud_change_reaches_the_card(page: Page, run: Launched, deadline: float) -> None:
    """Flip the device in the cloud until the open page's card shows it (the first flip may
    fall in the gap while a process is down; its resync or the next flip then shows)."""
    toggle = power(page, DEVICE)
    device = run.device_id(DEVICE)
    while True:
        target = "off" if run.switch(DEVICE) == "on" else "on"
        run.sim("POST", f"/devices/{device}/params", {"params": {"switch": target}})
        try:
            expect(toggle).to_have_attribute(
                "aria-pressed", str(target == "on").lower(), timeout=5000
            )
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def _a_click_reaches_the_cloud(page: Page, run: Launched, deadline: float) -> None:
    """Click the card's power button until the cloud device follows (a click sent while a
    process was still starting may get no answer; a person would click again).

    Each click waits for the one before it to be answered or given up (the page's 15 s): a
    second click while the first is pending inverts the first's optimistic state, not the
    device's, and the two then cancel out in the cloud (run j1, seed 734513). And it waits
    for the card to show what the cloud has, since an unanswered click may still land late.
    """
    toggle = power(page, DEVICE)
    entry = card(page, DEVICE)
    note = entry.locator(".card__note")
    while True:
        _the_card_agrees_with_the_cloud(toggle, run, deadline)
        after = "off" if toggle.get_attribute("aria-pressed") == "true" else "on"
        if note.count():  # the line of an earlier click stays a few seconds
            note.evaluate("line => { line.textContent = ''; }")
        toggle.click()
        expect(entry).not_to_have_attribute("aria-busy", "true", timeout=20_000)
        if note.text_content() == "Done":
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"no click was done; the last said {note.text_content()!r}")
    assert run.switch(DEVICE) == after
    expect(toggle).to_have_attribute("aria-pressed", str(after == "on").lower())


def _the_card_agrees_with_the_cloud(toggle: Locator, run: Launched, deadline: float) -> None:
    """The card's power shows the cloud's switch, and still does a second later."""
    agreed_since = None
    while True:
        shown = toggle.get_attribute("aria-pressed")
        if shown == str(run.switch(DEVICE) == "on").lower():
            agreed_since = agreed_since or time.monotonic()
            if time.monotonic() - agreed_since >= 1:
                return
        elif time.monotonic() > deadline:
            raise AssertionError(f"the card shows pressed={shown}, the cloud {run.switch(DEVICE)}")
        else:
            agreed_since = None
        time.sleep(0.1)


@pytest.fixture(scope="module")
def dashboard(browser: Browser, launched: Launched) -> Iterator[Page]:
    context = browser.new_context(base_url=launched.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, launched.email, launched.password)
    page.goto("/")
    wait_live(page, timeout=60_000)
    yield page
    context.close()


KINDS = ("realtime", "web", "worker", "redis")  # the realtime worker first: the crash
EVERYTHING = ("redis", "cloudsim", "web", "realtime", "worker", "beat")


def test_the_dashboard_recovers_from_kill_9_of_each_process_then_stops_cleanly(
    dashboard: Page, launched: Launched
) -> None:
    """One test, so that the kills come in this order on one open page, and the stop last."""
    recovered = {kind: _kill_and_recover(kind, dashboard, launched) for kind in KINDS}
    print("\nRecovered after kill -9 (a cloud change on the card, a click done): " + ", ".join(
        f"{kind} {seconds:.1f} s" for kind, seconds in recovered.items()
    ))  # fmt: skip
    _stops_cleanly(launched)


def _kill_and_recover(kind: str, page: Page, launched: Launched) -> float:
    victim = launched.pid(kind)
    assert victim, f"no pid file for {kind}"
    started = time.monotonic()
    os.kill(victim, signal.SIGKILL)

    _wait(lambda: launched.pid(kind) not in (0, victim), 30, f"{kind} started again")
    said = rf"{kind} stopped unexpectedly \(killed by SIGKILL\); restarting it in 1 s"
    assert re.search(said, launched.log())
    _cloud_change_reaches_the_card(page, launched, started + RECOVERY_WITHIN)
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    expect(page.locator(".card--stale")).to_have_count(0)  # every account's socket is up
    _a_click_reaches_the_cloud(page, launched, started + RECOVERY_WITHIN)
    seconds = time.monotonic() - started
    assert seconds < RECOVERY_WITHIN, f"{kind}: {seconds:.1f} s"
    if kind == "worker":  # Celery: an All off runs there
        room = page.locator("section").filter(has=card(page, DEVICE)).last
        room.get_by_role("button", name=re.compile(r"^All off in ")).first.click()
        result = page.locator("[data-batch-result]")
        expect(result).to_contain_text("Switched off", timeout=30_000)
        assert launched.switch(DEVICE) == "off"
    # Nothing else was stopped: the launcher and every other process run on.
    assert launched.process.poll() is None
    assert all(launched.pid(name) for name in EVERYTHING)
    return seconds


def _stops_cleanly(launched: Launched) -> None:
    """SIGTERM ends the launcher with status 0, the realtime worker through its clean stop
    (which writes the state it held), and no process of the run is left."""
    pids = {name: launched.pid(name) for name in EVERYTHING}
    launched.process.send_signal(signal.SIGTERM)
    assert launched.process.wait(timeout=60) == 0
    log = launched.log()
    assert "SIGTERM received: stopping everything" in log
    assert "realtime worker stopped" in log
    for name, pid in pids.items():
        assert re.search(rf"supervisor +\| {name} stopped$", log, re.M)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
