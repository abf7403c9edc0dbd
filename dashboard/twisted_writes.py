"""Daphne's socket writes go out at once, not a turn of the reactor later.

Twisted buffers every `transport.write` and registers the socket for writing; the reactor
sends on its next turn, then unregisters it. With ten pages open, a thing event was handed
to all ten sockets first and written to them a turn later, so every page waited for the
whole fan-out, and each frame cost two epoll changes. asyncio's transports try the send
first; so does this: a write to a plain TCP connection with nothing buffered is sent right
away. What the kernel does not take, and every error, goes Twisted's way: buffered, sent by
the reactor, which also deals with a connection that failed. Interleaved A/B runs of the
live benchmark at 200 events/s: p50 1.8 → 1.4 ms (bench/README.md, issue 18).
"""

from __future__ import annotations

from typing import Any


def send_writes_at_once() -> None:
    """Patch Twisted's TCP server connections (idempotent); call in Daphne's process."""
    from twisted.internet import tcp

    server = tcp.Server
    if getattr(server.write, "_sends_at_once", False):
        return
    buffered_write = server.write

    def write(self: Any, data: bytes) -> None:
        if (
            data
            and type(data) is bytes
            and not self.TLS
            and self.connected
            and not self.disconnecting
            and not self._writeDisconnected
            and not self._tempDataBuffer
            and self.offset == len(self.dataBuffer)  # nothing buffered: order holds
        ):
            sent = self.writeSomeData(data)
            if type(sent) is int and sent > 0:
                if sent == len(data):
                    return
                data = data[sent:]
        buffered_write(self, data)

    write._sends_at_once = True  # type: ignore[attr-defined]
    server.write = write  # type: ignore[method-assign]
