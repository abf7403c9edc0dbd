"""Ending the tasks a worker or one of its connections started."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(tasks: set[asyncio.Task[Any]], within: float = 5.0) -> None:
    """Cancel `tasks` and wait (a bounded time) until each has run its cleanup."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=within)
