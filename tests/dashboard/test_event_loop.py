"""Daphne and the realtime worker run on uvloop unless DASHBOARD_EVENT_LOOP says asyncio."""

from __future__ import annotations

import asyncio
import os
import urllib.request
from pathlib import Path

import pytest
import uvloop

from dashboard import event_loop
from tests.fixtures.daphne import free_port, serving


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


def _served_by(env_value: str | None, tmp_path: Path) -> str:
    """Start `python -m dashboard.serve` on the probe app; return what its loop is."""
    env = {k: v for k, v in os.environ.items() if k != event_loop.ENV}
    if env_value is not None:
        env[event_loop.ENV] = env_value
    port = free_port()
    args = ["-b", "127.0.0.1", "-p", str(port), "tests.dashboard.daphne_probe:app"]
    with (
        serving(args, env, tmp_path / f"daphne-{env_value}.log"),
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp,
    ):
        return resp.read().decode()


@pytest.mark.integration
def test_daphne_serves_on_uvloop_and_on_asyncio_when_told(tmp_path):
    assert _served_by(None, tmp_path) == "uvloop"
    assert _served_by("asyncio", tmp_path) == "asyncio"
