"""Ending the tasks a worker or one of its connections started, and long passes that let
the others run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
# A pass over every held account gives the loop a turn this often: in one go, over 10,000
# accounts, the worker's round held every account's events back for tens of ms, and starting
# 10,000 live requests at once for over 100 ms.
TURN_EVERY = 500


async def in_turns(items: Iterable[T], every: int = TURN_EVERY) -> AsyncIterator[T]:
    """`items` (taken as they are now: the source may change meanwhile), with a turn of the
    loop for the other tasks after each `every` of them."""
    for n, item in enumerate(list(items), 1):
        yield item
        if n % every == 0:
            await asyncio.sleep(0)


async def cancel_and_wait(tasks: set[asyncio.Task[Any]], within: float = 5.0) -> None:
    """Cancel `tasks` and wait (a bounded time) until each has run its cleanup."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=within)
