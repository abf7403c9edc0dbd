"""Live websocket sessions and the fan-out of frames to them (the hot push path)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .state import Device

if TYPE_CHECKING:
    from .cloud import Cloud


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


@dataclass(eq=False)
class Session:
    """One authenticated app socket."""

    ws: web.WebSocketResponse
    apikey: str
    appid: str
    at: str
    ip: str
    last_ping: float = field(default_factory=time.monotonic)

    async def send(self, text: str) -> bool:
        if self.ws.closed:
            return False
        try:
            await self.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            return False
        return True


class Hub:
    """apikey → sessions; a frame is serialized once and written to every recipient."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.by_apikey: dict[str, set[Session]] = {}
        # Sockets open at one moment per (account, APPID), and the most ever seen: the
        # dashboard promises never to hold an account twice, and this is how a soak checks.
        self.live: dict[tuple[str, str], int] = {}
        self.peak: dict[tuple[str, str], int] = {}

    def add(self, session: Session) -> None:
        self.by_apikey.setdefault(session.apikey, set()).add(session)
        key = (session.apikey, session.appid)
        self.live[key] = self.live.get(key, 0) + 1
        self.peak[key] = max(self.peak.get(key, 0), self.live[key])

    def remove(self, session: Session) -> None:
        sessions = self.by_apikey.get(session.apikey)
        if sessions is not None:
            if session in sessions:
                sessions.discard(session)
                key = (session.apikey, session.appid)
                self.live[key] -= 1
                if not self.live[key]:
                    del self.live[key]
            if not sessions:
                del self.by_apikey[session.apikey]

    def sessions_json(self) -> dict[str, Any]:
        """Live sockets and their peak per account and APPID (`GET /_sim/sessions`)."""

        def nested(counts: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
            out: dict[str, dict[str, int]] = {}
            for (apikey, appid), count in counts.items():
                out.setdefault(apikey, {})[appid] = count
            return out

        return {
            "live": nested(self.live),
            "peak": nested(self.peak),
            "max_peak": max(self.peak.values(), default=0),
        }

    def reset_peaks(self) -> None:
        self.peak = dict(self.live)

    def count(self) -> int:
        return sum(len(s) for s in self.by_apikey.values())

    def all_sessions(self) -> list[Session]:
        return [s for sessions in self.by_apikey.values() for s in sessions]

    @staticmethod
    def audience(device: Device) -> list[str]:
        """The owner and every account the device is shared with."""
        owners = [device.owner] if device.owner else []
        return owners + list(device.shares)

    async def push(
        self, apikeys: Iterable[str], frame: dict[str, Any], exclude: Session | None = None
    ) -> int:
        """Send one frame to every socket of the given accounts; return how many got it."""
        targets = [s for a in apikeys for s in self.by_apikey.get(a, ()) if s is not exclude]
        if not targets:
            return 0
        text = dumps(frame)
        faults = self.cloud.faults
        sent = 0
        for session in targets:
            if faults.faults and faults.take("drop_frames"):
                continue
            if await session.send(text):
                sent += 1
        self.cloud.counters.events_pushed += sent
        return sent

    async def close_sessions(
        self, sessions: Iterable[Session], code: int = 1000, reason: bytes = b""
    ) -> int:
        closing = list(sessions)
        await asyncio.gather(
            *(s.ws.close(code=code, message=reason) for s in closing), return_exceptions=True
        )
        return len(closing)

    async def drop_account(self, apikey: str) -> int:
        return await self.close_sessions(list(self.by_apikey.get(apikey, ())), 1001, b"dropped")

    async def drop_tokens(self, ats: set[str]) -> int:
        """Close sockets opened with tokens that a newer login displaced."""
        stale = [s for s in self.all_sessions() if s.at in ats]
        # In the background: a peer that never answers the close must not stall the login.
        self.cloud.spawn(self.close_sessions(stale, 4406, b"logged in from another place"))
        return len(stale)

    async def reap_forever(self) -> None:
        """Drop sockets that stopped pinging for hbInterval plus the grace period."""
        while True:
            settings = self.cloud.settings
            limit = settings.hb_interval + settings.hb_grace
            await asyncio.sleep(min(1.0, max(0.05, limit / 10)))
            cutoff = time.monotonic() - limit
            silent = [s for s in self.all_sessions() if s.last_ping < cutoff]
            for session in silent:
                session.last_ping = float("inf")  # closing already; do not pick it again
            if silent:
                self.cloud.spawn(self.close_sessions(silent, 1000, b"heartbeat timeout"))
