"""Send a device's first update at once, merge quick ones after it (notes §2.7, §5)."""

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
    """Leading edge plus trailing merge, per device.

    The first update of a device goes out at once (a tap must feel instant). Updates that
    come within ``window`` seconds of the last one sent are merged into one trailing update,
    sent when the window ends, and that send opens the next window. A burst of clicks inside
    one window thus costs at most two commands and ends in the last click's state; the
    spacing between sends to one device is never below ``window``. Every caller of a merged
    update gets the result of the one command that carried it.
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
        self._pending: dict[str, tuple[JsonDict, asyncio.Future[Any]]] = {}  # trailing batch
        self._windows: dict[str, asyncio.Task[None]] = {}  # devices inside a window
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiting: set[asyncio.Future[Any]] = set()  # queued or in flight, until answered
        self.merged = 0  # updates folded into an earlier one (a counter for tests/admin)
        self.sent = 0  # updates sent (leading and trailing)

    async def submit(self, deviceid: str, params: JsonDict) -> Any:
        """Send now if the device is outside a window, else join its trailing update."""
        if deviceid in self._pending:
            queued, future = self._pending[deviceid]
            self._pending[deviceid] = (merge_params(queued, params), future)
            self.merged += 1
            return await asyncio.shield(future)
        future = self._new_future()
        if deviceid in self._windows:
            self._pending[deviceid] = (dict(params), future)  # sent when the window ends
        else:
            self._windows[deviceid] = self._spawn(self._window(deviceid))
            self._spawn(self._deliver(deviceid, dict(params), future))
        return await asyncio.shield(future)

    def _new_future(self) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.add(future)
        future.add_done_callback(self._waiting.discard)
        return future

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _window(self, deviceid: str) -> None:
        """Hold the device's window open; send what gathered in it when it ends."""
        try:
            while True:
                await self._sleep(self.window)
                batch = self._pending.pop(deviceid, None)
                if batch is None:
                    return  # a quiet window: the next update is a leading one again
                self._spawn(self._deliver(deviceid, *batch))
        finally:
            if self._windows.get(deviceid) is asyncio.current_task():
                del self._windows[deviceid]

    async def _deliver(self, deviceid: str, params: JsonDict, future: asyncio.Future[Any]) -> None:
        self.sent += 1
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
        self._windows.clear()
        for future in list(self._waiting):
            if future.done():
                continue
            if result is None:
                future.cancel()
            else:
                future.set_result(result)
        self._pending.clear()
