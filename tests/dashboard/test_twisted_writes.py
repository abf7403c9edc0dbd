"""Daphne as `dashboard.serve` runs it sends a frame when the app sends it, not a reactor
turn later, and what the kernel cannot take at once still arrives whole and in order."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp
import pytest

from tests.fixtures.daphne import free_port, serving

pytestmark = [pytest.mark.integration]
COUNT, SIZE = 40, 256 * 1024  # 10 MiB: far more than a socket's buffers hold


async def _burst(port: int) -> tuple[str, list[str]]:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"ws://127.0.0.1:{port}/", max_msg_size=0) as ws,
    ):
        await ws.send_str(f"burst {COUNT} {SIZE}")
        assert (await ws.receive(timeout=10)).data == "small"
        writers = (await ws.receive(timeout=10)).data
        await asyncio.sleep(1)  # not reading: the server's sends fill the socket and buffer
        frames = [(await ws.receive(timeout=20)).data for _ in range(COUNT)]
        return writers, frames


def test_a_frame_is_sent_at_once_and_a_burst_arrives_whole_in_order(tmp_path: Path) -> None:
    port = free_port()
    args = ["-b", "127.0.0.1", "-p", str(port), "tests.dashboard.daphne_probe:app"]
    with serving(args, dict(os.environ), tmp_path / "daphne.log"):
        writers, frames = asyncio.run(_burst(port))
    # Right after the app sent "small", no socket waits for the reactor to write it.
    assert writers == "writers 0"
    assert [len(f) for f in frames] == [SIZE] * COUNT
    assert [f[:8] for f in frames] == [f"{n:08d}" for n in range(COUNT)]
    assert all(f == f[:8] * (SIZE // 8) for f in frames)


def test_patching_twice_wraps_once() -> None:
    from twisted.internet import tcp

    from dashboard.twisted_writes import send_writes_at_once

    original = tcp.Server.write
    try:
        send_writes_at_once()
        patched = tcp.Server.write
        send_writes_at_once()
        assert tcp.Server.write is patched
        assert patched is not original
    finally:
        tcp.Server.write = original  # type: ignore[method-assign]
