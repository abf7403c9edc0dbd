"""One asyncio Redis client per event loop (and URL and options), closed with its loop.

A client must never outlive or cross its event loop; Daphne and the realtime worker have one
loop, while Celery tasks and tests run each request in a fresh one. A client made and closed
per call in the calling task was once found still connected after its loop had closed (the
likeliest reason: the task was cancelled again while its close ran). Here the pooled
connections are closed by the loop's own `close`, which no task cancellation can cut short
(as channels_redis closes its layer).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

import redis.asyncio as aioredis

# Keyed by the loop object itself, then by the URL and options of the client.
_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, tuple[tuple[str, Any], ...]], aioredis.Redis]
] = weakref.WeakKeyDictionary()


def loop_client(url: str, **options: Any) -> aioredis.Redis:
    """The running loop's client for `url` with `options` (made on first use)."""
    loop = asyncio.get_running_loop()
    per_loop = _clients.get(loop)
    if per_loop is None:
        per_loop = _clients[loop] = {}
        _close_with_loop(loop)
    key = (url, tuple(sorted(options.items())))
    client = per_loop.get(key)
    if client is None:
        client = per_loop[key] = aioredis.Redis.from_url(url, **options)
    return client


def _close_with_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close the loop's clients when it closes: left open, their sockets outlive the loop and
    the garbage collector warns about them at some random later moment (a test run counts
    that as an error in whichever test is running then)."""
    loop_close = loop.close

    def close() -> None:
        clients = _clients.pop(loop, None)
        if clients and not loop.is_closed():
            for client in clients.values():
                with contextlib.suppress(Exception):  # on the way out: nothing to report
                    loop.run_until_complete(client.aclose())
        loop_close()

    loop.close = close  # type: ignore[method-assign]
