"""WiFi lights: dimmers, LED strips and the older cloud-only bulbs.

Bulbs ignore brightness or colour while off, so every command that changes them carries the
on flag as its FIRST key (notes §5 "Light quirks"); dicts keep insertion order on the wire.
"""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import (
    ChartSeries,
    Control,
    DevicePlugin,
    Params,
    on_off_label,
    on_off_word,
)
from devices.plugins.light.color import like, to_hex
from devices.plugins.values import as_dict, on_off, to_float, to_int

BRIGHTNESS = "Brightness"


class LightPlugin(DevicePlugin):
    """Base: on/off key, a brightness param with its wire range, optional RGB params."""

    card_template = "devices/cards/light.html"
    power_key: ClassVar[str] = "switch"
    bright_key: ClassVar[str | None] = None
    bright_range: ClassVar[tuple[int, int]] = (1, 100)
    rgb_keys: ClassVar[tuple[str, str, str] | None] = None
    # Extra params the device needs in the same message as a brightness change.
    bright_extra: ClassVar[Params] = {}
    color_extra: ClassVar[Params] = {}

    def charts(self) -> list[ChartSeries]:
        """Brightness, for bulbs that have it."""
        return [ChartSeries("brightness", BRIGHTNESS, "%")] if self.bright_key else []

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``switch``, ``brightness`` (percent) and ``color`` (#rrggbb) as known."""
        params = as_dict(params)
        result: dict[str, Any] = {"switch": on_off(params.get(self.power_key))}
        if self.bright_key:
            low, high = self.bright_range
            result["brightness"] = _percent(params.get(self.bright_key), low, high)
        if self.rgb_keys:
            result["color"] = to_hex(*(params.get(k) for k in self.rgb_keys))
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power, and brightness/colour when the bulb has them."""
        state = self.state(params, tags)
        controls = [Control("switch", "toggle", "Power", value=state["switch"])]
        if self.bright_key:
            controls.append(_brightness(state["brightness"]))
        if self.rgb_keys:
            controls.append(Control("color", "color", "Colour", value=state["color"]))
        return controls

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Power on/off, or the change with the power-on key first."""
        if control.name == "switch":
            return {self.power_key: on_off_word(value)}
        params = as_dict(params)
        on = {self.power_key: "on"}
        if control.name == "brightness" and self.bright_key:
            low, high = self.bright_range
            wire = _wire(value, low, high)
            return {
                **on,
                self.bright_key: like(params.get(self.bright_key), wire),
                **self.bright_extra,
            }
        if control.name == "color" and self.rgb_keys:
            colour = {
                key: like(params.get(key), c) for key, c in zip(self.rgb_keys, value, strict=True)
            }
            return {**on, **self.color_extra, **colour}
        return super().build(control, value, params, tags)

    def summary(self, state: dict[str, Any]) -> str:
        """ "On · 60 %"."""
        text = on_off_label(state.get("switch"))
        bright = state.get("brightness")
        return f"{text} · {bright} %" if state.get("switch") and bright is not None else text


class DimmerPlugin(LightPlugin):
    """KING-M4 dimmer (36): ``bright`` 10-100."""

    key = "dimmer"
    label = "Dimmer"
    uiids = frozenset({36})
    bright_key = "bright"
    bright_range = (10, 100)
    example_params: ClassVar[Params] = {"switch": "on", "bright": 55}


class D1Plugin(LightPlugin):
    """Sonoff D1 (44): ``brightness`` only with ``switch: on`` and ``mode: 0`` (else error 400)."""

    key = "d1"
    label = "Dimmer"
    uiids = frozenset({44})
    bright_key = "brightness"
    bright_extra: ClassVar[Params] = {"mode": 0}
    example_params: ClassVar[Params] = {"switch": "on", "brightness": 70, "mode": 0}


class MonoBulbPlugin(LightPlugin):
    """Mono bulb / mosquito lamp (57): ``state`` and ``channel0`` "25"-"255" strings."""

    key = "mono_bulb"
    label = "Light"
    uiids = frozenset({57})
    power_key = "state"
    bright_key = "channel0"
    bright_range = (25, 255)
    example_params: ClassVar[Params] = {"state": "on", "channel0": "140"}


class CctCeilingPlugin(LightPlugin):
    """CCT ceiling light (52): ``channel0`` 10-255 brightness, ``channel1`` 0-255 warmth."""

    key = "cct_ceiling"
    label = "Ceiling light"
    uiids = frozenset({52})
    power_key = "state"
    bright_key = "channel0"
    bright_range = (10, 255)
    example_params: ClassVar[Params] = {"state": "on", "channel0": "200", "channel1": "120"}

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Adds ``color_temp`` 0 (warm) - 100 (cold)."""
        result = super().state(params, tags)
        result["color_temp"] = _percent(as_dict(params).get("channel1"), 0, 255, floor=0)
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power, brightness, colour temperature."""
        temp = self.state(params, tags)["color_temp"]
        return [*super().controls(params, tags), _color_temp(temp)]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``channel1`` for colour temperature."""
        if control.name == "color_temp":
            wire = _wire(value, 0, 255)
            return {"state": "on", "channel1": like(as_dict(params).get("channel1"), wire)}
        return super().build(control, value, params, tags)


class L1Plugin(LightPlugin):
    """L1 / L3 / Bluetooth LED strips (59, 173, 137): ``bright`` 1-100, RGB and effect modes."""

    key = "led_strip"
    label = "LED strip"
    uiids = frozenset({59, 137, 173})
    bright_key = "bright"
    rgb_keys = ("colorR", "colorG", "colorB")
    color_extra: ClassVar[Params] = {"light_type": 1, "mode": 1}
    modes: ClassVar[tuple[tuple[str, str], ...]] = (
        ("1", "Colourful"),
        ("2", "Colourful gradient"),
        ("3", "Colourful breath"),
        ("4", "DIY gradient"),
        ("5", "DIY pulse"),
        ("6", "DIY breath"),
        ("7", "DIY strobe"),
        ("8", "RGB gradient"),
        ("9", "RGB pulse"),
        ("10", "RGB breath"),
        ("11", "RGB strobe"),
        ("12", "Music"),
    )
    example_params: ClassVar[Params] = {
        "switch": "on",
        "bright": 80,
        "colorR": 255,
        "colorG": 120,
        "colorB": 0,
        "light_type": 1,
        "mode": 1,
        "speed": 50,
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Adds the effect ``mode``."""
        result = super().state(params, tags)
        mode = to_int(as_dict(params).get("mode"))
        result["mode"] = str(mode) if mode is not None else None
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power, brightness, colour, effect."""
        mode = self.state(params, tags)["mode"]
        effect = Control("mode", "select", "Effect", options=self.modes, value=mode)
        return [*super().controls(params, tags), effect]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``mode`` as an integer for effects."""
        if control.name == "mode":
            return {"switch": "on", "mode": int(value)}
        return super().build(control, value, params, tags)


class RgbStripPlugin(LightPlugin):
    """RGB strip controller (33): ``bright`` 10-100 and ``colorR/G/B``."""

    key = "rgb_strip"
    label = "LED strip"
    uiids = frozenset({33})
    bright_key = "bright"
    bright_range = (10, 100)
    rgb_keys = ("colorR", "colorG", "colorB")
    color_extra: ClassVar[Params] = {"light_type": 1}
    example_params: ClassVar[Params] = {
        "switch": "off",
        "light_type": 1,
        "bright": 100,
        "colorR": 0,
        "colorG": 0,
        "colorB": 255,
    }


class B1Plugin(LightPlugin):
    """B1 bulb (22): ``state``; white from ``channel0``/``channel1``, RGB from ``channel2..4``.

    Channels are strings. ``zyx_mode`` 1 is white, 2 is colour.
    """

    key = "b1"
    label = "Colour bulb"
    uiids = frozenset({22})
    power_key = "state"
    rgb_keys = ("channel2", "channel3", "channel4")
    color_extra: ClassVar[Params] = {"zyx_mode": 2}
    example_params: ClassVar[Params] = {
        "state": "on",
        "zyx_mode": 1,
        "channel0": "128",
        "channel1": "64",
        "channel2": "0",
        "channel3": "0",
        "channel4": "0",
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Brightness is the stronger of the two white channels (25-255)."""
        params = as_dict(params)
        result = super().state(params, tags)
        whites = [to_float(params.get(k)) for k in ("channel0", "channel1")]
        known = [w for w in whites if w is not None]
        result["brightness"] = _percent(max(known), 25, 255) if known else None
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power, white brightness, colour."""
        state = self.state(params, tags)
        return [
            Control("switch", "toggle", "Power", value=state["switch"]),
            _brightness(state["brightness"]),
            Control("color", "color", "Colour", value=state["color"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """White brightness keeps the cold/warm ratio; everything as strings, ``state`` first."""
        if control.name != "brightness":
            result = super().build(control, value, params, tags)
            return {k: str(v) if k.startswith("channel") else v for k, v in result.items()}
        params = as_dict(params)
        cold, warm = (to_float(params.get(k)) or 0 for k in ("channel0", "channel1"))
        target = _wire(value, 25, 255)
        ratio = target / max(cold, warm, 1)
        if not (cold or warm):
            cold = warm = target
            ratio = 1
        return {
            "state": "on",
            "zyx_mode": 1,
            "channel0": str(max(25, min(255, round(cold * ratio)))),
            "channel1": str(max(25, min(255, round(warm * ratio)))),
        }


def _percent(value: Any, low: float, high: float, floor: int = 1) -> int | None:
    """Wire value in ``[low, high]`` → percent of ``high`` (so 1-100 wire ranges map 1:1)."""
    number = to_float(value)
    if number is None or high <= 0:
        return None
    number = min(max(number, low), high)
    return max(floor, min(100, round(number * 100 / high)))


def _wire(percent: Any, low: float, high: float) -> int:
    """Percent → wire value in ``[low, high]``; the inverse of ``_percent``."""
    return int(max(low, min(high, round(float(percent) * high / 100))))


def _brightness(value: Any) -> Control:
    return Control("brightness", "range", BRIGHTNESS, None, 1, 100, 1, unit="%", value=value)


def _color_temp(value: Any) -> Control:
    return Control("color_temp", "range", "Warm ↔ cold", None, 0, 100, 1, unit="%", value=value)
