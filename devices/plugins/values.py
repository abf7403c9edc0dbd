"""Tolerant readers for raw cloud values.

Cloud frames are untrusted: the same key can arrive as ``"68.79"`` over the cloud and ``68.78``
over LAN, as ``"unavailable"``, or as garbage. Every reader here returns ``None`` for what it
cannot read instead of raising, so a malformed frame never crashes the realtime worker.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

# Strings some firmwares send instead of a number when a probe is missing or not ready.
_MISSING = frozenset({"", "unavailable", "unknown", "none", "null", "nan", "-"})


def as_dict(value: Any) -> dict[str, Any]:
    """Return ``value`` if it is a mapping with string keys, else an empty dict."""
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if isinstance(k, str)}
    return {}


def as_list(value: Any) -> list[Any]:
    """Return ``value`` if it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def to_float(value: Any, scale: float = 1.0, digits: int | None = None) -> float | None:
    """Read a number (int, float or numeric string), apply ``scale``; None if unreadable."""
    if isinstance(value, bool):  # bool is an int subclass; True is not 1 W
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _MISSING:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        return None
    if not math.isfinite(number):
        return None
    number *= scale
    if digits is None:
        digits = _digits_for(scale)
    return round(number, digits)


def to_int(value: Any) -> int | None:
    """Read an integer (int, integral float or numeric string); None if unreadable."""
    number = to_float(value, digits=6)
    if number is None or abs(number) > 2**53:
        return None
    return round(number)


def on_off(value: Any) -> bool | None:
    """Read an on/off flag: "on"/"off", booleans, 0/1 integers; None if unreadable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"on", "true", "1", "open"}:
            return True
        if text in {"off", "false", "0", "close", "closed"}:
            return False
        return None
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def text(value: Any, limit: int = 200) -> str | None:
    """Read a short display string; numbers are stringified, anything else is None."""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def clamp(value: float | None, low: float, high: float) -> float | None:
    """Clamp a reading into ``[low, high]``; None stays None."""
    if value is None:
        return None
    return min(max(value, low), high)


def invert_percent(value: Any) -> int | None:
    """Turn an eWeLink 100 = closed percentage into a 0 = closed UI position, or back."""
    number = to_float(value)
    if number is None or not 0 <= number <= 100:
        return None
    return round(100 - number)


def _digits_for(scale: float) -> int:
    """Decimals worth keeping after scaling: x0.01 → 2, x0.1 → 1, unscaled → 3."""
    if scale >= 1 or scale <= 0:
        return 3
    return max(0, math.ceil(-math.log10(scale) - 1e-9))


def channel_name(tags: Any, outlet: int) -> str | None:
    """The user's name for a channel from ``tags.ck_channel_name`` ({"0": "Kitchen"})."""
    names = as_dict(as_dict(tags).get("ck_channel_name"))
    name = text(names.get(str(outlet)), limit=60)
    return (name or "").strip() or None


def choice(value: Any, options: Any) -> str | None:
    """``value`` if it is a string among ``options`` (keys or (key, label) pairs), else None."""
    if not isinstance(value, str):
        return None
    keys = {option[0] if isinstance(option, tuple) else option for option in options}
    return value if value in keys else None


def json_size(value: Any) -> float:
    """Bytes of ``value`` as compact JSON; infinite for what JSON cannot hold (NaN, objects)."""
    try:
        return len(json.dumps(value, separators=(",", ":"), allow_nan=False).encode())
    except (TypeError, ValueError, RecursionError):
        return math.inf


# Common raw params a person may see on a card listing a device's params: key → (label, unit).
# Keys not listed here are shown as the cloud names them, so nothing is ever hidden.
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "fwVersion": ("Firmware", ""),
    "rssi": ("Wi-Fi signal", "dBm"),
    "subDevRssi": ("Zigbee signal", "dBm"),
    "sledOnline": ("Network light", ""),
    "zled": ("Zigbee light", ""),
    "battery": ("Battery", "%"),
    "temperature": ("Temperature", "°C"),
    "humidity": ("Humidity", "%"),
    "startup": ("After power loss", ""),
    "pulse": ("Inching", ""),
    "switch": ("Power", ""),
}
_WORDS = {"on": "On", "off": "Off", "stay": "Keep last state"}


def param_field(key: str, value: str) -> tuple[str, str]:
    """A raw param as a card line: its label and its display text with the unit."""
    label, unit = PARAM_LABELS.get(key, (key, ""))
    shown = _WORDS.get(value, value) if key in PARAM_LABELS else value
    return label, f"{shown} {unit}" if unit and shown else shown
