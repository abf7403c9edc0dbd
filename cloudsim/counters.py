"""Counters the benchmarks and tests read through `GET /_sim/counters`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SimCounters:
    connections: int = 0
    events_pushed: int = 0
    commands_received: int = 0
    handshakes: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    # Sharees' accepted commands by the form of `apikey`: "own_apikey" (API document) or
    # "owner_apikey" (owner's apikey plus selfApikey, notes §2.5).
    shared_commands: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.events_pushed = self.commands_received = self.handshakes = 0
        self.calls.clear()
        self.shared_commands.clear()

    def to_json(self, accounts: int, devices: int, live_connections: int) -> dict[str, Any]:
        return {
            "connections": live_connections,
            "connections_total": self.connections,
            "events_pushed": self.events_pushed,
            "commands_received": self.commands_received,
            "handshakes": self.handshakes,
            "calls": dict(self.calls),
            "shared_commands": dict(self.shared_commands),
            "accounts": accounts,
            "devices": devices,
        }
