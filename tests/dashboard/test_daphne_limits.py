"""Daphne's message size limit holds for received messages only (dashboard/daphne_limits.py).

The whole path (Daphne started with the limit, a 24 KiB snapshot reaching the page) is in
tests/e2e/test_self_healing.py; here, what the patch does around one send.
"""

from __future__ import annotations

from daphne.ws_protocol import WebSocketProtocol

from dashboard.daphne_limits import unlimit_sends


class Protocol:
    """What Daphne's serverSend touches of its websocket protocol."""

    STATE_CONNECTING = 0
    state = 1
    client_addr = ("127.0.0.1", 1)
    maxMessagePayloadSize = 16384

    def __init__(self) -> None:
        self.sent: list[tuple[int, int]] = []

    def sendMessage(self, payload: bytes, binary: bool) -> None:  # autobahn's name
        # Autobahn refuses a payload over maxMessagePayloadSize (when that is not 0).
        self.sent.append((len(payload), self.maxMessagePayloadSize))


def test_a_big_frame_goes_out_and_the_limit_stays_for_received_ones() -> None:
    unlimit_sends()
    unlimit_sends()  # idempotent: asgi.py may be imported more than once
    protocol = Protocol()
    WebSocketProtocol.serverSend(protocol, "x" * 30_000)  # type: ignore[arg-type]
    assert protocol.sent == [(30_000, 0)]  # sent without the limit
    assert protocol.maxMessagePayloadSize == 16384  # which is back for what pages send
