"""Access/refresh token pair and the callback through which hosts persist new ones.

Expiry times: the OAuth token reply carries them (`atExpiredTime`, `rtExpiredTime`, ms); the
login and refresh replies of the document carry only `at` and `rt`, so their expiry is
estimated from the documented lifetimes below, counted from the reply (`with_pair`).
"""

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

    def with_pair(
        self,
        at: str,
        rt: str,
        now_ms: int | None = None,
        *,
        at_expires_ms: int | None = None,
        rt_expires_ms: int | None = None,
    ) -> Tokens:
        """A copy with a freshly issued pair: the expiry times the reply gave, or else the
        documented lifetimes counted from now."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        return replace(
            self,
            at=at,
            rt=rt,
            at_expires_ms=at_expires_ms or now + AT_LIFETIME_MS,
            rt_expires_ms=rt_expires_ms or now + RT_LIFETIME_MS,
        )


def _opt_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def expiry_ms(value: object) -> int | None:
    """An expiry time in ms from a reply field (`atExpiredTime`), None if absent or not one."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


TokensCallback = Callable[[Tokens], Awaitable[None] | None]
