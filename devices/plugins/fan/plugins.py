"""Ceiling fans: iFan02/03/04 (34) over the cloud and the 3-speed fan (17)."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.arrays import outlet_states
from devices.plugins.base import Control, DevicePlugin, Params, on_off_label, on_off_word
from devices.plugins.readings import Reading
from devices.plugins.values import as_dict, choice, on_off

# iFan over the cloud: outlets 1, 2, 3 encode the speed (notes §3.2, UIID 34).
IFAN_PATTERNS: dict[str, tuple[bool, bool, bool]] = {
    "off": (False, False, False),
    "low": (True, False, False),
    "medium": (True, True, False),
    "high": (True, False, True),
}
SPEEDS = (("off", "Off"), ("low", "Low"), ("medium", "Medium"), ("high", "High"))


class IFanPlugin(DevicePlugin):
    """iFan: outlet 0 is the light; the speed is the on/off pattern of outlets 1-3."""

    key = "ifan"
    label = "Fan with light"
    uiids = frozenset({34})
    card_template = "devices/cards/fan.html"
    readings: ClassVar[tuple[Reading, ...]] = (Reading("speed", "Speed", words=SPEEDS),)
    example_params: ClassVar[Params] = {
        "switches": [
            {"switch": "on", "outlet": 0},
            {"switch": "on", "outlet": 1},
            {"switch": "on", "outlet": 2},
            {"switch": "off", "outlet": 3},
        ]
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``light`` bool and ``speed`` off/low/medium/high (None if the pattern is unknown)."""
        states = outlet_states(params)
        return {"light": states.get(0), "speed": _speed(states)}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Light toggle and speed select."""
        state = self.state(params, tags)
        return [
            Control("light", "toggle", "Light", channel=0, value=state["light"]),
            Control("speed", "select", "Fan speed", options=SPEEDS, value=state["speed"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Outlet 0 for the light; outlets 1-3 together for a speed."""
        if control.name == "light":
            return {"switches": [{"switch": on_off_word(value), "outlet": 0}]}
        pattern = IFAN_PATTERNS[value]
        return {
            "switches": [
                {"switch": on_off_word(on), "outlet": outlet}
                for outlet, on in enumerate(pattern, start=1)
            ]
        }

    def summary(self, state: dict[str, Any]) -> str:
        """ "Fan medium · light on"."""
        light = on_off_label(state.get("light")).lower()
        return f"Fan {state.get('speed') or 'unknown'} · light {light}"


def _speed(states: dict[int, bool | None]) -> str | None:
    if states.get(1) is False:
        return "off"  # outlet 1 off stops the fan whatever 2 and 3 say
    key = (states.get(1), states.get(2), states.get(3))
    return next((name for name, pattern in IFAN_PATTERNS.items() if pattern == key), None)


class FanPlugin(DevicePlugin):
    """3-speed fan (17): ``fan`` on/off, ``speed``, ``mode`` and ``shake`` (oscillation)."""

    key = "fan"
    label = "Fan"
    uiids = frozenset({17})
    card_template = "devices/cards/fan.html"
    speeds: ClassVar[tuple[tuple[str, str], ...]] = (
        ("slow", "Slow"),
        ("moderate", "Moderate"),
        ("fast", "Fast"),
    )
    readings: ClassVar[tuple[Reading, ...]] = (Reading("speed", "Speed", words=speeds),)
    modes: ClassVar[tuple[tuple[str, str], ...]] = (
        ("normal", "Normal"),
        ("natural", "Natural"),
        ("sleep", "Sleep"),
    )
    example_params: ClassVar[Params] = {
        "fan": "on",
        "speed": "moderate",
        "mode": "normal",
        "shake": "off",
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Power, speed, mode and oscillation."""
        params = as_dict(params)
        return {
            "fan": on_off(params.get("fan")),
            "speed": choice(params.get("speed"), self.speeds),
            "mode": choice(params.get("mode"), self.modes),
            "shake": on_off(params.get("shake")),
        }

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power, speed, mode, oscillation."""
        state = self.state(params, tags)
        return [
            Control("fan", "toggle", "Power", value=state["fan"]),
            Control("speed", "select", "Speed", options=self.speeds, value=state["speed"]),
            Control("mode", "select", "Mode", options=self.modes, value=state["mode"]),
            Control("shake", "toggle", "Oscillate", value=state["shake"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """The param named like the control."""
        if control.kind == "toggle":
            return {control.name: on_off_word(value)}
        return {control.name: value}

    def summary(self, state: dict[str, Any]) -> str:
        """ "On · moderate"."""
        text = on_off_label(state.get("fan"))
        return f"{text} · {state['speed']}" if state.get("fan") and state.get("speed") else text
