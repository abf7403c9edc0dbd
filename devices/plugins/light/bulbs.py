"""B02/B05 bulbs (``ltype`` + per-mode objects) and Zigbee lights (1257/1258/3258/7009)."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import Control, Params, on_off_word
from devices.plugins.light.color import hs_to_hex, rgb_to_hs, to_hex
from devices.plugins.light.plugins import LightPlugin, _brightness, _color_temp, _percent
from devices.plugins.values import as_dict, choice, on_off, to_int

B02_SCENES = (
    ("white", "White"),
    ("bright", "Bright"),
    ("read", "Reading"),
    ("computer", "Computer"),
    ("nightLight", "Night light"),
)
B05_SCENES = (
    ("white", "White"),
    ("color", "Colour"),
    ("bright", "Bright"),
    ("goodNight", "Good night"),
    ("read", "Reading"),
    ("nightLight", "Night light"),
    ("party", "Party"),
    ("leisure", "Leisure"),
    ("soft", "Soft"),
    ("colorful", "Colourful"),
)


class B02Plugin(LightPlugin):
    """B02 CCT bulbs (103, 135): ``ltype`` names an object ``{br, ct}``; send br and ct together."""

    key = "b02"
    label = "White bulb"
    uiids = frozenset({103, 135})
    scenes: ClassVar[tuple[tuple[str, str], ...]] = B02_SCENES
    ct_max: ClassVar[int] = 255
    example_params: ClassVar[Params] = {
        "switch": "on",
        "ltype": "white",
        "white": {"br": 60, "ct": 128},
    }

    def mode(self, params: dict[str, Any]) -> str | None:
        """The current ``ltype`` if it is one we know."""
        return choice(params.get("ltype"), self.scenes)

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Power, scene, brightness and colour temperature of the current scene."""
        params = as_dict(params)
        mode = self.mode(params)
        current = as_dict(params.get(mode or "white"))
        return {
            "switch": on_off(params.get("switch")),
            "scene": mode,
            "brightness": _percent(current.get("br"), 1, 100),
            "color_temp": _percent(current.get("ct"), 0, self.ct_max, floor=0),
        }

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power, brightness, colour temperature, scene."""
        state = self.state(params, tags)
        return [
            Control("switch", "toggle", "Power", value=state["switch"]),
            _brightness(state["brightness"]),
            _color_temp(state["color_temp"]),
            Control("scene", "select", "Scene", options=self.scenes, value=state["scene"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``switch`` first, then ``ltype`` and the scene object with both br and ct."""
        if control.name == "switch":
            return {"switch": on_off_word(value)}
        params = as_dict(params)
        if control.name == "scene":
            return {"switch": "on", "ltype": value, value: self.scene_object(params, value)}
        br = value if control.name == "brightness" else None
        ct = value if control.name == "color_temp" else None
        white = self.scene_object(params, "white", br, ct)
        return {"switch": "on", "ltype": "white", "white": white}

    def scene_object(
        self, params: dict[str, Any], mode: str, br: Any = None, ct_percent: Any = None
    ) -> dict[str, int]:
        """``{br, ct}`` for ``mode`` from stored values and the change; B02/B05 need both."""
        stored = as_dict(params.get(mode))
        if br is None:
            br = _within(to_int(stored.get("br")), 1, 100, 100)
        if ct_percent is None:
            ct = _within(to_int(stored.get("ct")), 0, self.ct_max, self.ct_max // 2)
        else:
            ct = round(ct_percent * self.ct_max / 100)
        return {"br": int(br), "ct": int(ct)}


class B05Plugin(B02Plugin):
    """B05 RGBCW bulbs (104, 136): B02 plus ``color: {br, r, g, b}``; 136 uses ct 0-100."""

    key = "b05"
    label = "Colour bulb"
    uiids = frozenset({104, 136})
    scenes = B05_SCENES
    example_params: ClassVar[Params] = {
        "switch": "on",
        "ltype": "color",
        "color": {"br": 80, "r": 255, "g": 0, "b": 128},
        "white": {"br": 50, "ct": 200},
    }

    @property
    def ct_max(self) -> int:  # type: ignore[override]
        """136 reports ct 0-100 (SonoffLAN), 104 uses 0-255."""
        return 100 if self.uiid == 136 else 255

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Adds ``color`` from the colour object."""
        result = super().state(params, tags)
        color = as_dict(as_dict(params).get("color"))
        result["color"] = to_hex(color.get("r"), color.get("g"), color.get("b"))
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """B02's controls plus colour."""
        state = self.state(params, tags)
        return [
            *super().controls(params, tags),
            Control("color", "color", "Colour", value=state["color"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Colour mode sends the whole ``color`` object; brightness follows the current mode."""
        params = as_dict(params)
        state = self.state(params, tags)
        in_color = state["scene"] == "color"
        if control.name == "color" or (control.name == "brightness" and in_color):
            red, green, blue = value if control.name == "color" else self._rgb(params)
            br = value if control.name == "brightness" else state["brightness"] or 100
            return {
                "switch": "on",
                "ltype": "color",
                "color": {"br": br, "r": red, "g": green, "b": blue},
            }
        return super().build(control, value, params, tags)

    def _rgb(self, params: dict[str, Any]) -> tuple[int, int, int]:
        color = as_dict(params.get("color"))
        parts = [to_int(color.get(k)) for k in ("r", "g", "b")]
        valid = [p if p is not None and 0 <= p <= 255 else 255 for p in parts]
        return valid[0], valid[1], valid[2]


class ZigbeeLightPlugin(LightPlugin):
    """Zigbee dimmable (1257) and CCT (1258) lights: ``brightness`` and ``colorTemp`` 0-100."""

    key = "zigbee_light"
    label = "Light"
    uiids = frozenset({1257, 1258})
    bright_key = "brightness"
    example_params: ClassVar[Params] = {"switch": "on", "brightness": 45, "colorTemp": 30}

    def has_color_temp(self, params: dict[str, Any]) -> bool:
        """1258 has colour temperature; so does any model reporting ``colorTemp``."""
        return self.uiid == 1258 or "colorTemp" in params

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Power, brightness, colour temperature (0 = warm)."""
        params = as_dict(params)
        result = super().state(params, tags)
        if self.has_color_temp(params):
            result["color_temp"] = _percent(params.get("colorTemp"), 0, 100, floor=0)
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power, brightness and (CCT) colour temperature."""
        state = self.state(params, tags)
        controls = super().controls(params, tags)
        if "color_temp" in state:
            controls.append(_color_temp(state["color_temp"]))
        return controls

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``colorTemp`` with ``switch: on`` first."""
        if control.name == "color_temp":
            return {"switch": "on", "colorTemp": value}
        return super().build(control, value, params, tags)


class ZigbeeRgbLightPlugin(LightPlugin):
    """Zigbee RGBCW (3258, 7009): ``colorMode`` cct/rgb with separate brightness per mode."""

    key = "zigbee_rgb_light"
    label = "Colour light"
    uiids = frozenset({3258, 7009})
    example_params: ClassVar[Params] = {
        "switch": "on",
        "colorMode": "rgb",
        "colorTemp": 50,
        "cctBrightness": 70,
        "rgbBrightness": 40,
        "hue": 200,
        "saturation": 90,
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Power, mode, brightness of the active mode, colour temperature, colour."""
        params = as_dict(params)
        mode = params.get("colorMode") if params.get("colorMode") in ("cct", "rgb") else None
        bright_key = "rgbBrightness" if mode == "rgb" else "cctBrightness"
        return {
            "switch": on_off(params.get("switch")),
            "color_mode": mode,
            "brightness": _percent(params.get(bright_key), 1, 100),
            "color_temp": _percent(params.get("colorTemp"), 0, 100, floor=0),
            "color": hs_to_hex(params.get("hue"), params.get("saturation")),
        }

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power, brightness, colour temperature, colour."""
        state = self.state(params, tags)
        return [
            Control("switch", "toggle", "Power", value=state["switch"]),
            _brightness(state["brightness"]),
            _color_temp(state["color_temp"]),
            Control("color", "color", "Colour", value=state["color"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Each change names its ``colorMode``, with ``switch: on`` first."""
        if control.name == "switch":
            return {"switch": on_off_word(value)}
        if control.name == "brightness":
            rgb = self.state(params, tags)["color_mode"] == "rgb"
            return {"switch": "on", ("rgbBrightness" if rgb else "cctBrightness"): value}
        if control.name == "color_temp":
            return {"switch": "on", "colorMode": "cct", "colorTemp": value}
        hue, saturation = rgb_to_hs(value)
        return {"switch": "on", "colorMode": "rgb", "hue": hue, "saturation": saturation}


def _within(value: int | None, low: int, high: int, default: int) -> int:
    return value if value is not None and low <= value <= high else default
