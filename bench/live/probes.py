"""Probes of `bench/live_latency.py` on the page socket."""

from __future__ import annotations

import json
import time

import aiohttp


async def read_snapshot(
    ws: aiohttp.ClientWebSocketResponse, index: int, within_s: float
) -> tuple[int, int, int]:
    """A page's snapshot (its parts, then the `snapshot` frame): (things, bytes, frames).

    Fails at once when the socket closes or sends something else, and after a while
    (`within_s`), rather than waiting for a snapshot that will not come."""
    things: set[str] = set()
    size = frames = 0
    deadline = time.monotonic() + within_s
    while True:
        try:
            msg = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            why = f"no snapshot within {within_s:.0f} s"
            raise RuntimeError(f"page socket {index}: {why}") from None
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(
                f"page socket {index}: no snapshot ({msg.type.name}, close code {ws.close_code})"
            )
        frame = json.loads(msg.data)
        frames += 1
        size += len(msg.data)
        things.update(frame.get("things") or {})
        if frame.get("type") == "snapshot":
            return len(things), size, frames
        if frame.get("type") != "snapshot_part":
            raise RuntimeError(f"page socket {index}: {frame.get('type')} before the snapshot")
