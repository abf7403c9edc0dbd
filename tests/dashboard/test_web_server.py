"""The web server caps what a page sends, never what the server sends (issue 17's soak)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.dashboard.ws_big_frames_app import BIG

ROOT = Path(__file__).resolve().parents[2]
CAP = 16384


@contextmanager
def _server(module: str, tmp_path: Path) -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path / f"{module}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "-b", "127.0.0.1", "-p", str(port),
         "--websocket-max-message-size", str(CAP), "tests.dashboard.ws_big_frames_app:application"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / f"{module}.log").read_text()
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


async def _first_frame(port: int) -> aiohttp.WSMessage:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"ws://127.0.0.1:{port}/ws/", max_msg_size=0) as ws,
    ):
        return await ws.receive(timeout=10)


@pytest.mark.integration
async def test_big_frames_reach_the_page_and_big_frames_from_it_are_refused(tmp_path):
    with _server("dashboard.web_server", tmp_path) as port:
        first = await _first_frame(port)
        assert first.type == aiohttp.WSMsgType.TEXT
        assert len(first.data) == BIG  # over the cap: a big snapshot gets through
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"ws://127.0.0.1:{port}/ws/", max_msg_size=0) as ws,
        ):
            await ws.receive(timeout=10)
            await ws.send_str("y" * 100)
            assert (await ws.receive(timeout=10)).data == "100"
            await ws.send_str("y" * (CAP + 1))  # a page's frame over the cap
            closed = await ws.receive(timeout=10)
            assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ws.close_code in (1006, 1009)  # dropped, or "message too big"


@pytest.mark.integration
async def test_plain_daphne_with_the_same_cap_cannot_send_a_big_frame(tmp_path):
    # Why the web service does not run plain Daphne with the cap: the page gets nothing.
    with _server("daphne", tmp_path) as port:
        first = await _first_frame(port)
        assert first.type != aiohttp.WSMsgType.TEXT
