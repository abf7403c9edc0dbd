"""Access/refresh token pair and the callback through which hosts persist new ones."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from ewelink.regions import Region, as_region

AT_LIFETIME_MS = 30 * 24 * 3600 * 1000  # notes §1.6: at lasts 30 days
RT_LIFETIME_MS = 60 * 24 * 3600 * 1000  # and rt 60 days


@dataclass(frozen=True)
class Tokens:
    """What a host stores per linked account; ``apikey`` is the user's id."""

    at: str
    rt: str
    region: Region
    apikey: str = ""
    at_expires_ms: int | None = None
    rt_expires_ms: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a JSON file or an encrypted column."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tokens:
        """Inverse of ``to_dict``; unknown keys are ignored."""
        return cls(
            at=str(data["at"]),
            rt=str(data.get("rt") or ""),
            region=as_region(str(data["region"])),
            apikey=str(data.get("apikey") or ""),
            at_expires_ms=_opt_int(data.get("at_expires_ms")),
            rt_expires_ms=_opt_int(data.get("rt_expires_ms")),
        )

    def expires_within(self, seconds: float, now_ms: int | None = None) -> bool:
        """True when the access token expires within ``seconds`` (unknown expiry: False)."""
        if self.at_expires_ms is None:
            return False
        now = int(time.time() * 1000) if now_ms is None else now_ms
        return self.at_expires_ms - now <= seconds * 1000

    def with_pair(self, at: str, rt: str, now_ms: int | None = None) -> Tokens:
        """A copy with a freshly issued pair and expiry times estimated from the lifetimes."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        at_expiry, rt_expiry = now + AT_LIFETIME_MS, now + RT_LIFETIME_MS
        return replace(self, at=at, rt=rt, at_expires_ms=at_expiry, rt_expires_ms=rt_expiry)


def _opt_int(value: object) -> int | None:
    return None if value is None else int(str(value))


TokensCallback = Callable[[Tokens], Awaitable[None] | None]
