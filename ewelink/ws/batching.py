"""Merge quick successive updates of one device into one ``update`` (notes §2.7, §5)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ewelink.models import JsonDict

MERGE_WINDOW = 0.1  # seconds


def merge_params(base: JsonDict, extra: JsonDict) -> JsonDict:
    """Later keys win, except ``switches``/``configure``/``pulses`` which merge by outlet."""
    merged = dict(base)
    for key, value in extra.items():
        previous = merged.get(key)
        if isinstance(previous, list) and isinstance(value, list) and _by_outlet(previous + value):
            merged[key] = merge_by_outlet(previous, value)
        else:
            merged[key] = value
    return merged


def _by_outlet(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(item, dict) and "outlet" in item for item in items)


def merge_by_outlet(base: list[Any], extra: list[Any]) -> list[Any]:
    """Per-outlet union, later entries replacing earlier ones, ordered by outlet."""
    by_outlet: dict[Any, dict[str, Any]] = {}
    for item in [*base, *extra]:
        by_outlet[item["outlet"]] = {**by_outlet.get(item["outlet"], {}), **item}
    return sorted(by_outlet.values(), key=lambda item: str(item["outlet"]).zfill(4))


class UpdateMerger:
    """Collects a device's updates for ``window`` seconds, then sends them as one.

    Every caller of a merged batch gets the result of the one command that was sent.
    """

    def __init__(
        self,
        send: Callable[[str, JsonDict], Awaitable[Any]],
        *,
        window: float = MERGE_WINDOW,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._send = send
        self.window = window
        self._sleep = sleep
        self._pending: dict[str, tuple[JsonDict, asyncio.Future[Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: set[asyncio.Future[Any]] = set()  # queued or in flight, until answered
        self.merged = 0  # updates folded into an earlier one (a counter for tests/admin)

    async def submit(self, deviceid: str, params: JsonDict) -> Any:
        """Queue params for a device and wait for the merged command's result."""
        if deviceid in self._pending:
            queued, future = self._pending[deviceid]
            self._pending[deviceid] = (merge_params(queued, params), future)
            self.merged += 1
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._waiting.add(future)
        future.add_done_callback(self._waiting.discard)
        self._pending[deviceid] = (dict(params), future)
        task = asyncio.create_task(self._flush_later(deviceid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(future)

    async def _flush_later(self, deviceid: str) -> None:
        await self._sleep(self.window)
        params, future = self._pending.pop(deviceid)
        try:
            result = await self._send(deviceid, params)
        except Exception as exc:  # handed to every waiting caller
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)

    async def close(self, result: Any = None) -> None:
        """Stop every window and send; their callers get `result` (CancelledError if None).

        A caller must always hear back: one whose update was queued or in flight when the
        socket closed is told so (the session passes NOT_CONNECTED) and can try another way.
        """
        for task in list(self._tasks):
            task.cancel()
        for future in list(self._waiting):
            if future.done():
                continue
            if result is None:
                future.cancel()
            else:
                future.set_result(result)
        self._pending.clear()
