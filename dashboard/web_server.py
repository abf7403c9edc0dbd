"""Daphne as the web service runs it, with the websocket message cap on what pages send only.

`--websocket-max-message-size` keeps Daphne from buffering a big frame from a page (the
consumer drops anything over 4 KB unread), but autobahn applies the same cap to what the
server sends: with 16 KiB, a household's snapshot or a room's fragment over 16 KiB raised
PayloadExceededError and the page never went live (found by the chaos soak, issue 17).
Here the cap guards incoming messages only.

    python -m dashboard.web_server -b 0.0.0.0 -p 8000 --websocket-max-message-size 16384 \\
        dashboard.asgi:application
"""

from __future__ import annotations

from typing import Any

from daphne import ws_protocol
from daphne.cli import CommandLineInterface


class InboundCappedProtocol(ws_protocol.WebSocketProtocol):  # type: ignore[misc]
    """A page's socket: incoming messages are capped, outgoing ones are not."""

    def sendMessage(self, payload: bytes, *args: Any, **kwargs: Any) -> None:
        # Twisted runs one callback at a time: no message is read while the cap is lifted.
        cap: int = self.maxMessagePayloadSize  # type: ignore[has-type]
        self.maxMessagePayloadSize = 0
        try:
            super().sendMessage(payload, *args, **kwargs)
        finally:
            self.maxMessagePayloadSize = cap


def install() -> None:
    ws_protocol.WebSocketFactory.protocol = InboundCappedProtocol


if __name__ == "__main__":
    install()
    CommandLineInterface.entrypoint()
