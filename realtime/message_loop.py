"""A consumer's message loop: Channels' `await_many_dispatch` without a task and a wait per
message.

Upstream starts a new task for each message a source gives and waits on all sources with
`asyncio.wait` each time: with ten pages and 800 events/s, that bookkeeping was an eighth of
Daphne's CPU (py-spy, issue 18), and each message waited a turn of the loop for its task.
Here each source is read by one long-lived task that awaits it directly, so a message
already queued is taken at once. Dispatch is still one message at a time (a lock taken in
arrival order), in each source's order, as upstream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

Source = Callable[[], Awaitable[Any]]
Dispatch = Callable[[Any], Awaitable[None]]


async def pump_messages(
    sources: Sequence[Source], dispatch: Dispatch, turn: asyncio.Lock | None = None
) -> None:
    """Dispatch what the sources give until a dispatch (or a source) raises; re-raises it
    (`StopConsumer` included) once every source's reader has stopped. `turn` is held while
    a message is dispatched (the caller's own, to see whether one is)."""
    turn = turn or asyncio.Lock()

    async def pump(source: Source) -> None:
        while True:
            message = await source()
            async with turn:
                await dispatch(message)

    pumps = [asyncio.create_task(pump(source)) for source in sources]
    try:
        done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
