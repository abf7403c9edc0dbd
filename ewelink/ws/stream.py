"""Fan-out of session events to any number of async-iterator subscribers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final, cast

from ewelink.errors import EWeLinkError
from ewelink.ws.events import Event

_LOG = logging.getLogger(__name__)
_END: Final = object()
# Given an event in the session reader's turn: True if it handled it, False to queue it.
TakeNow = Callable[[Event], bool]


class EventStream:
    """One subscriber's queue; iteration ends when the session closes, or raises its fatal error."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._take_now: TakeNow | None = None

    def take_now(self, handler: TakeNow | None) -> None:
        """Offer each event to `handler` as the session reads it, before queueing it, while
        the queue is empty (an event never overtakes a queued one). It runs in the reader:
        it must not block, and returns True only when it did all the subscriber would have
        done with the event; False queues it. None: stop offering."""
        self._take_now = handler

    def put(self, item: object) -> None:
        handler = self._take_now
        if handler is not None and item is not _END and self._queue.empty():
            try:
                if handler(cast(Event, item)):
                    return
            except Exception:  # the reader serves the whole session: queue it instead
                _LOG.exception("an event stream's take_now handler failed; event queued")
        self._queue.put_nowait(item)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        item = await self._queue.get()
        if item is _END:
            self._hub.unsubscribe(self)
            self._queue.put_nowait(_END)  # stay ended for later calls
            if self._hub.fatal is not None:
                raise self._hub.fatal
            raise StopAsyncIteration
        return cast(Event, item)

    def close(self) -> None:
        """Stop receiving events."""
        self._hub.unsubscribe(self)


class EventHub:
    """Publishes each event to every live stream."""

    def __init__(self) -> None:
        self._streams: set[EventStream] = set()
        self.fatal: EWeLinkError | None = None
        self.ended = False

    def subscribe(self) -> EventStream:
        stream = EventStream(self)
        if self.ended:
            stream.put(_END)
        else:
            self._streams.add(stream)
        return stream

    def unsubscribe(self, stream: EventStream) -> None:
        self._streams.discard(stream)

    def publish(self, event: Event) -> None:
        for stream in list(self._streams):
            stream.put(event)

    def end(self, fatal: EWeLinkError | None = None) -> None:
        """Finish every stream; ``fatal`` is raised to iterators (e.g. AuthError)."""
        self.fatal = fatal
        self.ended = True
        for stream in list(self._streams):
            stream.put(_END)
        self._streams.clear()
