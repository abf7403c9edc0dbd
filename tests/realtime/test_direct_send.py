"""A page socket's frames written straight to Daphne's connection (realtime/direct_send.py)
arrive whole, in order with those sent through ASGI, however long they are."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import pytest

from realtime.direct_send import _plain, direct_text_sender, text_frame
from tests.fixtures.daphne import free_port, serving

# Around each boundary of the frame's three length encodings (RFC 6455 §5.2).
SIZES = [1, 125, 126, 65535, 65536, 300_000]


def test_a_text_frame_carries_its_length_in_the_shortest_encoding() -> None:
    assert text_frame(b"hi") == b"\x81\x02hi"
    assert text_frame(b"x" * 125)[:2] == b"\x81\x7d"
    assert text_frame(b"x" * 126)[:4] == b"\x81\x7e\x00\x7e"
    assert text_frame(b"x" * 65535)[:4] == b"\x81\x7e\xff\xff"
    assert text_frame(b"x" * 65536)[:10] == b"\x81\x7f" + (65536).to_bytes(8, "big")
    assert len(text_frame(b"x" * 65536)) == 65536 + 10


def test_another_server_gets_no_direct_sender() -> None:
    async def send(message: dict) -> None:
        pass

    assert direct_text_sender(send) is None


async def _talk(port: int) -> tuple[str, list[str], list[str]]:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"ws://127.0.0.1:{port}/direct", max_msg_size=0) as ws,
    ):
        hello = (await ws.receive(timeout=10)).data
        await ws.send_str("sizes " + " ".join(map(str, SIZES)))
        frames = [(await ws.receive(timeout=10)).data for _ in SIZES]
        await ws.send_str("mixed")
        mixed = [(await ws.receive(timeout=10)).data for _ in range(3)]
        return hello, frames, mixed


@pytest.mark.integration
def test_frames_written_directly_arrive_whole_and_in_order(tmp_path: Path) -> None:
    port = free_port()
    args = ["-b", "127.0.0.1", "-p", str(port), "tests.dashboard.daphne_probe:app"]
    with serving(args, dict(os.environ), tmp_path / "daphne.log"):
        hello, frames, mixed = asyncio.run(_talk(port))
    assert hello == "direct yes"  # found under Channels' session wrapper
    assert [len(f) for f in frames] == SIZES
    assert all(f == (f"{len(f):08d}" * (len(f) // 8 + 1))[: len(f)] for f in frames)
    assert mixed == ["a", "b", "c"]


def _protocol(**changes: object) -> SimpleNamespace:
    """The attributes of an open Autobahn server protocol as Daphne configures it."""
    plain = {
        "STATE_OPEN": 1,
        "SEND_STATE_GROUND": 0,
        "state": 1,
        "send_state": 0,
        "send_queue": [],
        "_perMessageCompress": None,
        "autoFragmentSize": 0,
        "maskServerFrames": False,
        "logFrames": False,
        "trackedTimings": None,
    }
    return SimpleNamespace(**{**plain, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"state": 2},  # closing
        {"send_state": 1},  # inside a fragmented message
        {"send_queue": [(b"x", True)]},  # a chopped send still going out
        {"_perMessageCompress": object()},  # compression negotiated
        {"autoFragmentSize": 4096},
        {"maskServerFrames": True},
        {"logFrames": True},
        {"trackedTimings": object()},
    ],
)
def test_anything_but_a_plain_open_socket_goes_through_daphne(changes: dict) -> None:
    assert _plain(_protocol())
    assert not _plain(_protocol(**changes))
