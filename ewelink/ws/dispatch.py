"""Dispatch answers shared by the websocket sessions of one process.

Every connect asks `/dispatch/app` where to go, because the host can change (notes §2.1).
But the answer is per region, not per account, and the cloud paces each interface per IP
(≥ 500 ms apart, ≤ 300 calls in 5 minutes, §1.8): a worker opening a thousand sessions
would spend a quarter of an hour on a thousand identical answers. So one answer per
dispatch URL is reused for a short while, concurrent askers share one call, and a session
whose socket failed or dropped forgets the answer it used, so the next connect asks again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ewelink.governor import Clock
from ewelink.models import DispatchInfo

DISPATCH_TTL = 30.0  # seconds


@dataclass(frozen=True)
class _Entry:
    info: DispatchInfo
    fetched_at: float


class DispatchCache:
    def __init__(self, ttl: float = DISPATCH_TTL, clock: Clock = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._inflight: dict[str, asyncio.Future[DispatchInfo]] = {}
        self.fetches = 0

    async def get(self, url: str, fetch: Callable[[], Awaitable[DispatchInfo]]) -> DispatchInfo:
        while True:
            entry = self._entries.get(url)
            if entry is not None and self._clock() - entry.fetched_at < self.ttl:
                return entry.info
            waiting = self._inflight.get(url)
            if waiting is None:
                return await self._fetch(url, fetch)
            try:
                return await asyncio.shield(waiting)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # we are the one being cancelled
                # The session making the call was closed: make our own.

    async def _fetch(self, url: str, fetch: Callable[[], Awaitable[DispatchInfo]]) -> DispatchInfo:
        future: asyncio.Future[DispatchInfo] = asyncio.get_running_loop().create_future()
        self._inflight[url] = future
        self.fetches += 1
        try:
            info = await fetch()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:  # the waiters fail the same way, and back off
            future.set_exception(exc)
            future.exception()  # marked retrieved even when nobody waited
            raise
        finally:
            del self._inflight[url]
        self._entries[url] = _Entry(info, self._clock())
        future.set_result(info)
        return info

    def forget(self, url: str, used: DispatchInfo) -> None:
        """The socket opened with `used` failed or dropped: ask again next time.

        Only if the entry is still that answer; a newer one is kept for the others.
        """
        entry = self._entries.get(url)
        if entry is not None and entry.info is used:
            del self._entries[url]


# One per process: every session of the process shares it unless given its own.
shared_dispatch_cache = DispatchCache()
