"""Curtains, shutters and garage doors; the card always uses 0 = closed, 100 = open.

eWeLink's ``setclose`` and ``curPercent``/``openPercent`` count the other way (100 = closed), so
those plugins invert on the way in and on the way out (notes §5 "Covers").
"""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import Control, DevicePlugin, Params, with_value
from devices.plugins.meter.dualr3 import cover_summary
from devices.plugins.readings import BATTERY, Reading
from devices.plugins.values import as_dict, clamp, invert_percent, to_float, to_int

BUTTONS = (("open", "Open"), ("stop", "Stop"), ("close", "Close"))
POSITION = Reading("position", "Open", "%")  # computed: 0 = closed


class CoverPlugin(DevicePlugin):
    """Base: a position slider plus open/stop/close buttons."""

    card_template = "devices/cards/cover.html"
    readings: ClassVar[tuple[Reading, ...]] = (POSITION,)
    # Button name → params to send.
    button_params: ClassVar[dict[str, Params]] = {}

    def position(self, params: dict[str, Any]) -> int | None:
        """Current position, 0 = closed."""
        raise NotImplementedError

    def position_params(self, position: int) -> Params:
        """Params that move the cover to ``position`` (0 = closed)."""
        raise NotImplementedError

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``position`` in the 0 = closed convention."""
        return {"position": self.position(as_dict(params))}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Position slider and the three buttons."""
        slider = Control("position", "range", "Position", None, 0, 100, 1, unit="%")
        return [
            with_value(slider, self.position(as_dict(params))),
            *(Control(name, "button", label) for name, label in BUTTONS),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Position or button params."""
        if control.name == "position":
            return self.position_params(value)
        return dict(self.button_params[control.name])

    def summary(self, state: dict[str, Any]) -> str:
        """ "Open 40 %"."""
        return cover_summary(state.get("position"))


class SetcloseCoverPlugin(CoverPlugin):
    """KingArt Q4 (11), cover 258, MINI-ZBRBS (7034): ``switch`` on/off/pause and ``setclose``."""

    key = "cover"
    label = "Curtain"
    uiids = frozenset({11, 258, 7034})
    button_params: ClassVar[dict[str, Params]] = {
        "open": {"switch": "on"},
        "stop": {"switch": "pause"},
        "close": {"switch": "off"},
    }
    example_params: ClassVar[Params] = {"switch": "pause", "setclose": 60}

    def position(self, params: dict[str, Any]) -> int | None:
        """100 - setclose."""
        return invert_percent(params.get("setclose"))

    def position_params(self, position: int) -> Params:
        """``setclose`` = 100 - position."""
        return {"setclose": 100 - position}


class ZigbeeCoverPlugin(CoverPlugin):
    """Zigbee curtain motors (1514, 7006): read ``curPercent``, write ``openPercent``, inverted."""

    key = "zigbee_cover"
    label = "Curtain"
    uiids = frozenset({1514, 7006})
    readings = (POSITION, BATTERY)
    button_params: ClassVar[dict[str, Params]] = {
        "open": {"curtainAction": "open"},
        "stop": {"curtainAction": "pause"},
        "close": {"curtainAction": "close"},
    }
    example_params: ClassVar[Params] = {"curPercent": 25, "curtainAction": "pause", "battery": 90}

    def position(self, params: dict[str, Any]) -> int | None:
        """100 - curPercent."""
        return invert_percent(params.get("curPercent"))

    def position_params(self, position: int) -> Params:
        """``openPercent`` = 100 - position."""
        return {"openPercent": 100 - position}

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Position and battery."""
        return {**super().state(params, tags), "battery": BATTERY.read(as_dict(params))}


class ShutterPlugin(CoverPlugin):
    """KING-Q1 garage (67) and ST-03 shutter (91): ``op`` 1/2/3 and ``per`` with 0 = closed."""

    key = "shutter"
    label = "Shutter"
    uiids = frozenset({67, 91})
    button_params: ClassVar[dict[str, Params]] = {
        "open": {"op": 1},
        "stop": {"op": 2},
        "close": {"op": 3},
    }
    example_params: ClassVar[Params] = {"op": 2, "per": 30}

    def position(self, params: dict[str, Any]) -> int | None:
        """``per`` already counts from closed: no inversion."""
        number = clamp(to_float(params.get("per")), 0, 100)
        return None if number is None else round(number)

    def position_params(self, position: int) -> Params:
        """``per``."""
        return {"per": position}

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Position and the last operation."""
        operation = {1: "opening", 2: "stopped", 3: "closing"}.get(
            to_int(as_dict(params).get("op")) or 0
        )
        return {**super().state(params, tags), "motion": operation}
