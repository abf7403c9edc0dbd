"""Typed websocket frames: parsing what the cloud sends and building what we send."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ewelink.models import JsonDict
from ewelink.signing import make_nonce

PING = "ping"
PONG = "pong"


class FrameError(ValueError):
    """A frame that is not JSON, not an object, or lacks what its kind needs."""


@dataclass(frozen=True)
class Pong:
    """The text ``pong`` answering our ``ping``."""


@dataclass(frozen=True)
class HandshakeReply:
    """Answer to ``userOnline``: error 0 plus heartbeat config, or e.g. 406."""

    error: int
    sequence: str | None
    hb: bool
    hb_interval: float | None
    reason: str
    raw: JsonDict = field(repr=False, compare=False)


@dataclass(frozen=True)
class CommandReply:
    """Reply to our update/query/upgrade, matched by ``sequence``."""

    sequence: str
    error: int
    deviceid: str | None
    params: JsonDict | None
    raw: JsonDict = field(repr=False, compare=False)


@dataclass(frozen=True)
class DeviceUpdate:
    """A device (or another app) changed params; may be partial."""

    deviceid: str
    params: JsonDict
    apikey: str | None
    sequence: str | None
    raw: JsonDict = field(repr=False, compare=False)


@dataclass(frozen=True)
class SysMessage:
    """``sysmsg``: usually ``params.online`` flipping."""

    deviceid: str
    online: bool | None
    params: JsonDict
    raw: JsonDict = field(repr=False, compare=False)


@dataclass(frozen=True)
class UnknownFrame:
    """Anything else (``notify``, ``reportSubDevice``, …): logged and skipped."""

    action: str | None
    raw: JsonDict = field(repr=False, compare=False)


InboundFrame = Pong | HandshakeReply | CommandReply | DeviceUpdate | SysMessage | UnknownFrame


def parse_frame(text: str, *, expecting_handshake: bool = False) -> InboundFrame:
    """Classify one text frame; raises FrameError for malformed input."""
    if text.strip() == PONG:
        return Pong()
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise FrameError(f"not JSON: {text[:80]!r}") from exc
    if not isinstance(raw, dict):
        raise FrameError(f"not an object: {text[:80]!r}")
    action = raw.get("action")
    if action is None:
        return _parse_reply(raw, expecting_handshake)
    if action == "update":
        return DeviceUpdate(
            deviceid=_required_str(raw, "deviceid"),
            params=_params(raw),
            apikey=_opt_str(raw.get("apikey")),
            sequence=_opt_str(raw.get("sequence")),
            raw=raw,
        )
    if action == "sysmsg":
        params = _params(raw)
        online = params.get("online")
        return SysMessage(
            deviceid=_required_str(raw, "deviceid"),
            online=online if isinstance(online, bool) else None,
            params=params,
            raw=raw,
        )
    return UnknownFrame(action if isinstance(action, str) else None, raw)


def _parse_reply(raw: JsonDict, expecting_handshake: bool) -> InboundFrame:
    error = _error(raw)
    sequence = _opt_str(raw.get("sequence"))
    if expecting_handshake or ("config" in raw and "deviceid" not in raw):
        config = raw.get("config")
        config = config if isinstance(config, dict) else {}
        interval = _positive_number(config.get("hbInterval"))
        return HandshakeReply(
            error=error,
            sequence=sequence,
            hb=bool(config.get("hb", config.get("hbl", 1))),
            hb_interval=interval,
            reason=str(raw.get("reason") or ""),
            raw=raw,
        )
    if sequence is None:
        return UnknownFrame(None, raw)  # replies without sequence happen; nobody waits for them
    params = raw.get("params")
    if not isinstance(params, dict):
        # Some query replies carry ``config`` instead of ``params`` (notes §2.4).
        params = raw.get("config") if isinstance(raw.get("config"), dict) else None
    return CommandReply(sequence, error, _opt_str(raw.get("deviceid")), params, raw)


def _error(raw: JsonDict) -> int:
    value = raw.get("error", 0)
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            return int(str(value))
        except ValueError as exc:
            raise FrameError(f"error is not a number: {value!r}") from exc
    return int(value)


def _positive_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value > 0 else None


def _params(raw: JsonDict) -> JsonDict:
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise FrameError(f"params is not an object in {raw.get('action')!r}")
    return params


def _required_str(raw: JsonDict, key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise FrameError(f"{raw.get('action')!r} frame lacks {key}")
    return value


def _opt_str(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def encode(frame: JsonDict) -> str:
    """Compact JSON, as the handshake example asks (no spaces)."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def user_online(*, at: str, apikey: str, appid: str, sequence: str) -> JsonDict:
    """The ``userOnline`` handshake."""
    return {
        "action": "userOnline",
        "at": at,
        "apikey": apikey,
        "appid": appid,
        "nonce": make_nonce(),
        "ts": int(time.time()),
        "userAgent": "app",
        "sequence": sequence,
        "version": 8,
    }


def command(
    action: str,
    *,
    deviceid: str,
    owner_apikey: str,
    self_apikey: str,
    sequence: str,
    params: Any,
) -> JsonDict:
    """An ``update``/``query``/``upgrade``: owner apikey plus our own for shared devices."""
    return {
        "action": action,
        "apikey": owner_apikey,
        "selfApikey": self_apikey,
        "deviceid": deviceid,
        "params": params,
        "userAgent": "app",
        "sequence": sequence,
    }
