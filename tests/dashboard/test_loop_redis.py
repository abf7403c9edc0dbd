"""The per-loop Redis client: one per loop, URL and options, and closed with its loop."""

from __future__ import annotations

import asyncio

import pytest

from dashboard.loop_redis import loop_client

pytestmark = pytest.mark.integration


def test_a_loop_keeps_one_client_per_url_and_options(redis_url: str) -> None:
    async def clients() -> list[object]:
        return [
            loop_client(redis_url),
            loop_client(redis_url),
            loop_client(redis_url, socket_timeout=0.5),
        ]

    loop = asyncio.new_event_loop()
    try:
        first, again, timed = loop.run_until_complete(clients())
    finally:
        loop.close()
    assert first is again
    assert timed is not first
    other = asyncio.new_event_loop()
    try:
        assert other.run_until_complete(clients())[0] is not first  # never crosses loops
    finally:
        other.close()


def test_a_client_nobody_closed_is_closed_with_its_loop(redis_url: str) -> None:
    """No caller closes the client (a task cancelled twice stopped such a close half-way,
    and its socket outlived the loop); the loop's close does."""
    seen: list[object] = []

    async def use() -> None:
        client = loop_client(redis_url)
        await client.ping()
        seen.extend(client.connection_pool._available_connections)

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(use())
        assert seen
        assert all(c.is_connected for c in seen)  # type: ignore[attr-defined]
    finally:
        loop.close()
    assert not any(c.is_connected for c in seen)  # type: ignore[attr-defined]
