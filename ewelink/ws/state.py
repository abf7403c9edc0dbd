"""Where a websocket session is, what it counted, and how its handshake can fail."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ewelink.errors import EWeLinkError


class SessionState(enum.StrEnum):
    """Where the session's connection loop is."""

    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING = "waiting"  # backing off before the next attempt
    CLOSED = "closed"


class HandshakeError(EWeLinkError):
    """``userOnline`` failed (closed socket, timeout or a non-zero error)."""


@dataclass
class SessionStats:
    """Counters for logs and an admin page."""

    handshakes: int = 0
    connects: int = 0
    failures: int = 0
    pings: int = 0
    pongs: int = 0
    commands: int = 0
    updates: int = 0  # `update` commands sent (after merging quick clicks)
    events: int = 0
    malformed: int = 0
    unknown: int = 0
    dead_sockets: int = 0
