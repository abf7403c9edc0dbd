"""A page socket's text frames written straight to Daphne's connection.

Through the ASGI `send`, every frame became a message dict that went through Channels'
session wrapper (two reads of the lazy session, for a save that only an HTTP response
makes), Daphne's two reply handlers (which work out what kind of message it is), and
Autobahn's send path (type assertions, options Daphne never turns on, and a debug line whose
arguments it formats, in colour, on every frame even with debug logging off). With ten pages,
each page after the first waits for the frames written before its own, so that work per
frame was latency for all but one of them (issue 18).

`direct_text_sender` returns a function that makes Daphne's checks for a `websocket.send`
and writes the frame to the connection itself: a text frame, unfragmented, unmasked,
uncompressed, as Autobahn would write it for Daphne. When the connection is anything else
(not open, compression negotiated, a partly sent message queued) it hands the text to
Daphne's own `serverSend`. Under any other server (a test's communicator) it returns None
and the consumer sends through ASGI. Autobahn's traffic counters, which Daphne never reads,
do not count the frames written here.
"""

from __future__ import annotations

import functools
import struct
import sys
from collections.abc import Callable
from typing import Any

from channels.sessions import InstanceSessionWrapper

TextSender = Callable[[str], None]
_TEXT_FIN = 0x81  # FIN + opcode 1 (text)


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked websocket text frame holding `payload` (RFC 6455 §5.2)."""
    size = len(payload)
    if size <= 125:
        return bytes((_TEXT_FIN, size)) + payload
    if size <= 0xFFFF:
        return struct.pack("!BBH", _TEXT_FIN, 126, size) + payload
    return struct.pack("!BBQ", _TEXT_FIN, 127, size) + payload


def _innermost(send: Any) -> Any:
    """`send` without Channels' session wrappers around it (they act on HTTP responses only)."""
    while isinstance(getattr(send, "__self__", None), InstanceSessionWrapper):
        send = send.__self__.real_send
    return send


def direct_text_sender(send: Any) -> TextSender | None:
    """For a websocket served by Daphne: a function sending one text frame at once (nothing
    to await: Daphne's own send never yields either). None for any other server."""
    # Daphne, when it serves us, has imported it; importing it elsewhere installs a reactor.
    daphne_server = sys.modules.get("daphne.server")
    inner = _innermost(send)
    if not (
        daphne_server is not None
        and isinstance(inner, functools.partial)
        and getattr(inner.func, "__func__", None) is daphne_server.Server.handle_reply
        and len(inner.args) == 1
        and not inner.keywords
    ):
        return None
    server, protocol = inner.func.__self__, inner.args[0]
    connections = server.connections

    def send_text(text: str) -> None:
        # Server.handle_reply: nothing for a connection that is gone or going.
        connection = connections.get(protocol)
        if connection is None or connection.get("disconnected"):
            return
        # WebSocketProtocol.handle_reply: never before the accept; an empty text is not sent.
        if protocol.state == protocol.STATE_CONNECTING:
            raise ValueError("Socket has not been accepted, so cannot send over it")
        if not text:
            return
        if _plain(protocol):
            protocol.transport.write(text_frame(text.encode()))
        else:
            protocol.serverSend(text, False)

    return send_text


def _plain(protocol: Any) -> bool:
    """Whether Autobahn would send this message as one plain frame, written at once."""
    return (
        protocol.state == protocol.STATE_OPEN
        and protocol.send_state == protocol.SEND_STATE_GROUND
        and not protocol.send_queue
        and protocol._perMessageCompress is None
        and not protocol.autoFragmentSize
        and not protocol.maskServerFrames
        and not protocol.logFrames
        and not protocol.trackedTimings
    )
