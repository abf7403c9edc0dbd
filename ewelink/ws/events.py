"""Events a session hands to the host, and the typed result of a command."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ewelink.models import JsonDict


@dataclass(frozen=True)
class Connected:
    """The handshake succeeded; resync things now (events may have been missed)."""

    apikey: str
    hb_interval: float


@dataclass(frozen=True)
class Disconnected:
    """The socket is gone; mark things stale until the next ``Connected``."""

    reason: str
    will_retry: bool


@dataclass(frozen=True)
class DeviceParams:
    """A device reported params (a partial update unless it is a full state)."""

    deviceid: str
    params: JsonDict
    raw: JsonDict = field(repr=False, compare=False)


@dataclass(frozen=True)
class DeviceOnline:
    """``sysmsg``: the device went online or offline."""

    deviceid: str
    online: bool
    raw: JsonDict = field(repr=False, compare=False)


Event = Connected | Disconnected | DeviceParams | DeviceOnline


class CommandStatus(enum.StrEnum):
    """How a command ended."""

    OK = "ok"
    OFFLINE = "offline"  # 503
    TIMEOUT = "timeout"  # 504 or no reply in time
    ERROR = "error"  # any other code, see ``error``
    NOT_CONNECTED = "not_connected"


@dataclass(frozen=True)
class CommandResult:
    """Outcome of an update/query/upgrade; ``params`` carries a query's answer."""

    status: CommandStatus
    error: int | None = None
    params: JsonDict | None = None
    sequence: str | None = None
    raw: JsonDict | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status is CommandStatus.OK

    @classmethod
    def from_error(
        cls, error: int, params: JsonDict | None, sequence: str, raw: JsonDict | None = None
    ) -> CommandResult:
        """Map a reply's error code: 0 ok, 503 offline, 504 timeout, anything else error."""
        status = {0: CommandStatus.OK, 503: CommandStatus.OFFLINE, 504: CommandStatus.TIMEOUT}
        return cls(status.get(error, CommandStatus.ERROR), error, params, sequence, raw)
