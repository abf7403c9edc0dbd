"""Daphne's --websocket-max-message-size for what pages send, not for what we send them.

The launcher, the image and compose start Daphne with a 16 KiB limit so that a page cannot
make it buffer megabyte frames (the consumer drops frames over 4 KB anyway). Autobahn applies
the same limit to messages the server sends, so a snapshot or a redrawn section over 16 KiB
(the demo household's first snapshot is ~24 KiB) failed to send and the page never went live.
This lifts the limit around Daphne's own sends only; received messages are still checked.
"""

from __future__ import annotations

import sys
from typing import Any


def unlimit_sends() -> None:
    """Patch Daphne's websocket protocol, if this process is Daphne (idempotent)."""
    ws_protocol = sys.modules.get("daphne.ws_protocol")
    if ws_protocol is None:
        return
    protocol = ws_protocol.WebSocketProtocol
    if getattr(protocol.serverSend, "_sends_unlimited", False):
        return
    original = protocol.serverSend

    def server_send(self: Any, content: str | bytes, binary: bool = False) -> None:
        # Synchronous in the reactor thread: no received frame is checked meanwhile.
        limit = self.maxMessagePayloadSize
        self.maxMessagePayloadSize = 0
        try:
            original(self, content, binary)
        finally:
            self.maxMessagePayloadSize = limit

    server_send._sends_unlimited = True  # type: ignore[attr-defined]
    protocol.serverSend = server_send
