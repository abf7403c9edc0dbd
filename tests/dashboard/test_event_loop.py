"""Daphne and the realtime worker run on uvloop unless DASHBOARD_EVENT_LOOP says asyncio."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import uvloop

from dashboard import event_loop

ROOT = Path(__file__).resolve().parents[2]


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_the_worker_runs_on_uvloop_by_default(monkeypatch):
    monkeypatch.delenv(event_loop.ENV, raising=False)
    assert event_loop.loop_factory() is uvloop.new_event_loop
    assert event_loop.run(_loop_module()) == "uvloop"


def test_asyncio_is_kept_when_asked_for(monkeypatch):
    monkeypatch.setenv(event_loop.ENV, " AsyncIO ")
    assert event_loop.loop_factory() is asyncio.new_event_loop
    assert event_loop.run(_loop_module()) == "asyncio"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _served_by(env_value: str | None, tmp_path: Path) -> str:
    """Start `python -m dashboard.serve` on the probe app; return what its loop is."""
    env = {k: v for k, v in os.environ.items() if k != event_loop.ENV}
    if env_value is not None:
        env[event_loop.ENV] = env_value
    port = _free_port()
    log = tmp_path / f"daphne-{env_value}.log"
    with log.open("w") as out:
        daphne = subprocess.Popen(
            [sys.executable, "-m", "dashboard.serve", "-b", "127.0.0.1", "-p", str(port),
             "tests.dashboard.loop_probe:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                        return resp.read().decode()
                except OSError:
                    assert daphne.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "Daphne did not answer"
                    time.sleep(0.1)
        finally:
            daphne.terminate()
            daphne.wait(timeout=20)


@pytest.mark.integration
def test_daphne_serves_on_uvloop_and_on_asyncio_when_told(tmp_path):
    assert _served_by(None, tmp_path) == "uvloop"
    assert _served_by("asyncio", tmp_path) == "asyncio"
