"""Colour and scale conversions between the UI (percent, #rrggbb) and each bulb's wire range."""

from __future__ import annotations

import colorsys
from typing import Any

from devices.plugins.values import to_float


def to_hex(red: Any, green: Any, blue: Any) -> str | None:
    """ "#rrggbb" from three 0-255 values; None if any is unreadable."""
    parts = [to_float(v) for v in (red, green, blue)]
    if any(p is None or not 0 <= p <= 255 for p in parts):
        return None
    return "#" + "".join(f"{round(p):02x}" for p in parts if p is not None)


def hs_to_hex(hue: Any, saturation: Any) -> str | None:
    """ "#rrggbb" from hue 0-359 and saturation 0-100 at full value."""
    h, s = to_float(hue), to_float(saturation)
    if h is None or s is None or not 0 <= h <= 360 or not 0 <= s <= 100:
        return None
    r, g, b = colorsys.hsv_to_rgb(h / 360, s / 100, 1.0)
    return to_hex(r * 255, g * 255, b * 255)


def rgb_to_hs(rgb: tuple[int, int, int]) -> tuple[int, int]:
    """Hue 0-359 and saturation 1-100 of an RGB colour (Zigbee RGBCW wire format)."""
    h, s, _v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    return round(h * 360) % 360, max(1, round(s * 100))


def like(current: Any, number: int) -> Any:
    """``number`` in the type the device uses for that key: "128" if it sent strings."""
    return str(number) if isinstance(current, str) else number
