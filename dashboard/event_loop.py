"""The event loop of the live path's two processes (Daphne and the realtime worker): uvloop.

Every event crosses four loops (cloud socket → worker → Redis → Daphne → page socket), and at
200 events/s the loops' own overhead (selector wake-ups, callbacks, socket writes) was most
of the latency over a bare relay's (bench/README.md, issue 18). uvloop runs the same asyncio
code on libuv. `DASHBOARD_EVENT_LOOP=asyncio` keeps the standard loop (a fallback, and the
benchmark's A/B); where uvloop is not installed the standard loop is used as well.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)
ENV = "DASHBOARD_EVENT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the process's loops: uvloop's, unless told or bound to use asyncio's."""
    if os.environ.get(ENV, "uvloop").strip().lower() == "asyncio":
        return asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        log.warning("uvloop is not installed: the standard asyncio loop is used")
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on the process's loop (the realtime worker's entry point)."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


def install() -> None:
    """Make the policy's new loops (Twisted's reactor, asgiref's threads) uvloop's, unless
    told otherwise. Call before anything creates a loop."""
    if loop_factory() is asyncio.new_event_loop:
        return
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
