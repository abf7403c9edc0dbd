"""Mist makers: the 3-level humidifier (19) and the aroma diffuser (25)."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import Control, DevicePlugin, Params, on_off_label, on_off_word
from devices.plugins.light.color import like, to_hex
from devices.plugins.readings import Reading, read_all
from devices.plugins.values import as_dict, choice, on_off, to_float, to_int


class HumidifierPlugin(DevicePlugin):
    """Humidifier (19): ``switch``, mist level ``state`` 1-3, ``water`` 1 = tank empty."""

    key = "humidifier"
    label = "Humidifier"
    uiids = frozenset({19})
    card_template = "devices/cards/humidifier.html"
    readings: ClassVar[tuple[Reading, ...]] = (
        Reading("temperature", "Temperature", "°C", param="temperature"),
        Reading("humidity", "Humidity", "%", param="humidity"),
    )
    levels: ClassVar[tuple[tuple[str, str], ...]] = (("1", "Low"), ("2", "Medium"), ("3", "High"))
    example_params: ClassVar[Params] = {
        "switch": "on",
        "state": 2,
        "water": 0,
        "temperature": 22,
        "humidity": 41,
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Power, mist level, water warning and the built-in readings."""
        params = as_dict(params)
        level = to_int(params.get("state"))
        return {
            "switch": on_off(params.get("switch")),
            "level": choice(str(level), self.levels) if level is not None else None,
            "water_empty": on_off(params.get("water")),
            **read_all(self.readings, params),
        }

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power and mist level."""
        state = self.state(params, tags)
        return [
            Control("switch", "toggle", "Power", value=state["switch"]),
            Control("level", "select", "Mist", options=self.levels, value=state["level"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``switch`` or the integer ``state`` (switched on first)."""
        if control.name == "level":
            return {"switch": "on", "state": int(value)}
        return {"switch": on_off_word(value)}

    def summary(self, state: dict[str, Any]) -> str:
        """ "On · tank empty"."""
        text = on_off_label(state.get("switch"))
        return f"{text} · tank empty" if state.get("water_empty") else text


class DiffuserPlugin(HumidifierPlugin):
    """Aroma diffuser (25): mist ``state`` 1/2 plus an RGB light (``lightswitch`` 0/1)."""

    key = "diffuser"
    label = "Aroma diffuser"
    uiids = frozenset({25})
    levels = (("1", "Soft mist"), ("2", "Strong mist"))
    example_params: ClassVar[Params] = {
        "switch": "on",
        "state": 1,
        "water": 0,
        "lightswitch": 1,
        "lightmode": 1,
        "lightRcolor": 255,
        "lightGcolor": 100,
        "lightBcolor": 0,
        "lightbright": 80,
    }
    rgb_keys = ("lightRcolor", "lightGcolor", "lightBcolor")

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Mist state plus the light's power, brightness and colour."""
        params = as_dict(params)
        result = super().state(params, tags)
        bright = to_float(params.get("lightbright"))
        result["light"] = on_off(params.get("lightswitch"))
        result["light_brightness"] = (
            int(bright) if bright is not None and 0 <= bright <= 100 else None
        )
        result["color"] = to_hex(*(params.get(k) for k in self.rgb_keys))
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Mist controls plus light toggle, brightness and colour."""
        state = self.state(params, tags)
        return [
            *super().controls(params, tags),
            Control("light", "toggle", "Light", value=state["light"]),
            Control(
                "light_brightness",
                "range",
                "Light brightness",
                None,
                0,
                100,
                1,
                unit="%",
                value=state["light_brightness"],
            ),
            Control("color", "color", "Light colour", value=state["color"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Light params carry ``lightswitch: 1`` first; the mist ones as for the humidifier."""
        params = as_dict(params)
        if control.name == "light":
            return {"lightswitch": int(value)}
        if control.name == "light_brightness":
            return {"lightswitch": 1, "lightbright": value}
        if control.name == "color":
            colour = {k: like(params.get(k), c) for k, c in zip(self.rgb_keys, value, strict=True)}
            return {"lightswitch": 1, **colour}
        return super().build(control, value, params, tags)
