"""Fan-out of session events to any number of async-iterator subscribers."""

from __future__ import annotations

import asyncio
from typing import Final, cast

from ewelink.errors import EWeLinkError
from ewelink.ws.events import Event

_END: Final = object()


class EventStream:
    """One subscriber's queue; iteration ends when the session closes, or raises its fatal error."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[object] = asyncio.Queue()

    def put(self, item: object) -> None:
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
