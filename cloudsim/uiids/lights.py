"""Light families: B1 (22), D1 (44), L1 (59), B02/B05 (103/104), Zigbee bulbs (1257/3258)."""

from __future__ import annotations

import random
from typing import Any

from .base import ON_OFF, Model, ParamError, int_range, obj_fields, one_of, str_int_range, toggle
from .switches import SingleSwitch

RGB = int_range(0, 255)


class B1Bulb(Model):
    """UIID 22: `state` and string channels; colour changes are ignored while the bulb is off."""

    name = "b1"
    channel_keys = ("channel0", "channel1", "channel2", "channel3", "channel4", "zyx_mode")

    def setup(self) -> None:
        self.fields.update(
            state=one_of(*ON_OFF),
            channel0=str_int_range(25, 255),
            channel1=str_int_range(25, 255),
            channel2=str_int_range(0, 255),
            channel3=str_int_range(0, 255),
            channel4=str_int_range(0, 255),
            zyx_mode=int_range(1, 6),
        )

    def defaults(self) -> dict[str, Any]:
        base = {"state": "off", "channel0": "128", "channel1": "128", "zyx_mode": 1}
        return super().defaults() | base | {"channel2": "0", "channel3": "0", "channel4": "0"}

    def merge(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        lit = incoming.get("state", current.get("state")) == "on"
        kept = {k: v for k, v in incoming.items() if lit or k not in self.channel_keys}
        return super().merge(current, kept)

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"state": "on", "channel0": str(25 + n % 231)}


class D1Dimmer(SingleSwitch):
    """UIID 44: `brightness` must travel with `switch:"on"` and `mode:0`."""

    name = "d1"

    def setup(self) -> None:
        super().setup()
        self.fields.update(brightness=int_range(0, 100), mode=int_range(0, 3))

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {"brightness": 50, "mode": 0}

    def check_rules(self, current: dict[str, Any], incoming: dict[str, Any]) -> None:
        if "brightness" in incoming and (
            incoming.get("switch") != "on" or incoming.get("mode") != 0
        ):
            raise ParamError("brightness must be sent with switch:on and mode:0")

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"switch": "on", "brightness": n % 101, "mode": 0}


class L1Strip(SingleSwitch):
    """UIID 59 (and 173): colour strip with modes 1..12."""

    name = "l1"

    def setup(self) -> None:
        super().setup()
        self.fields.update(
            bright=int_range(1, 100),
            colorR=RGB,
            colorG=RGB,
            colorB=RGB,
            light_type=int_range(1, 2),
            mode=int_range(1, 12),
            speed=int_range(1, 100),
            sensitive=int_range(1, 10),
        )

    def defaults(self) -> dict[str, Any]:
        colour = {"colorR": 255, "colorG": 180, "colorB": 90}
        return (
            super().defaults()
            | colour
            | {"bright": 60, "light_type": 1, "mode": 1, "speed": 50, "sensitive": 5}
        )

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"bright": 1 + n % 100}


B02_MODES = ("white", "bright", "read", "computer", "nightLight")
B05_MODES = (
    "white",
    "color",
    "bright",
    "goodNight",
    "read",
    "nightLight",
    "party",
    "leisure",
    "soft",
    "colorful",
)
BR_CT = obj_fields(br=int_range(1, 100), ct=int_range(0, 255))
COLOR = obj_fields(br=int_range(1, 100), r=RGB, g=RGB, b=RGB)


class B0xBulb(SingleSwitch):
    """UIID 103/135 (B02) and 104/136 (B05): an object per `ltype`, `br`+`ct` together."""

    name = "b0x"

    def setup(self) -> None:
        super().setup()
        self.modes = B05_MODES if self.options.get("rgb") else B02_MODES
        self.fields["ltype"] = one_of(*self.modes)
        for mode in self.modes:
            self.fields[mode] = COLOR if mode == "color" else BR_CT

    def defaults(self) -> dict[str, Any]:
        base = super().defaults() | {"ltype": "white", "white": {"br": 50, "ct": 128}}
        if self.options.get("rgb"):
            base["color"] = {"br": 50, "r": 255, "g": 255, "b": 255}
        return base

    def check_rules(self, current: dict[str, Any], incoming: dict[str, Any]) -> None:
        changes_mode = "ltype" in incoming and incoming["ltype"] != current.get("ltype")
        lit = incoming.get("switch", current.get("switch")) == "on"
        if changes_mode and not lit:
            raise ParamError("switching ltype needs switch:on")

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"switch": "on", "ltype": "white", "white": {"br": 1 + n % 100, "ct": 128}}


class ZigbeeLight(SingleSwitch):
    """1257/1258 dimmable/CCT and 3258/7009 RGBCW Zigbee bulbs."""

    name = "zigbee-light"

    def setup(self) -> None:
        super().setup()
        self.fields.update(brightness=int_range(0, 100), colorTemp=int_range(0, 100))
        if self.options.get("rgb"):
            self.fields.update(
                colorMode=one_of("cct", "rgb"),
                cctBrightness=int_range(1, 100),
                rgbBrightness=int_range(1, 100),
                hue=int_range(0, 359),
                saturation=int_range(1, 100),
            )

    def defaults(self) -> dict[str, Any]:
        if not self.options.get("rgb"):
            return super().defaults() | {"brightness": 80, "colorTemp": 50}
        return super().defaults() | {
            "colorMode": "cct",
            "colorTemp": 50,
            "cctBrightness": 80,
            "rgbBrightness": 80,
            "hue": 0,
            "saturation": 100,
        }

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        return {"switch": toggle(params.get("switch"))}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        key = "cctBrightness" if self.options.get("rgb") else "brightness"
        return {key: 1 + n % 100}
