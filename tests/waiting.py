"""Waits for a condition with a deadline: tests never sleep a fixed time and hope."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

POLL_S = 0.05


def until(check: Callable[[], bool], timeout: float = 10.0, what: str = "the condition") -> float:
    """Poll `check` until it holds; the seconds it took. Fails after `timeout` seconds."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(POLL_S)
    return time.monotonic() - start


async def async_until(
    check: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0, what: str = "the condition"
) -> float:
    """`until` for async tests; `check` may be a plain or an async function."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        outcome = check()
        if await outcome if isinstance(outcome, Awaitable) else outcome:
            return loop.time() - start
        if loop.time() - start > timeout:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(POLL_S)
