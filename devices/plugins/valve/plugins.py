"""Zigbee water valves (SWV 7027, 7047): a boolean ``switch`` (or ``switch_00``) and usage."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import ChartSeries, Control, DevicePlugin, Params, on_off_label
from devices.plugins.readings import BATTERY, Reading, charted, read_all
from devices.plugins.values import as_dict, on_off


class WaterValvePlugin(DevicePlugin):
    """Open/close a water valve; the wire value keeps the type the device reports."""

    key = "water_valve"
    label = "Water valve"
    uiids = frozenset({7027, 7047})
    card_template = "devices/cards/valve.html"
    readings: ClassVar[tuple[Reading, ...]] = (
        Reading("water_today", "Water today", "L", param="todayWaterUsage"),
        BATTERY,
    )
    example_params: ClassVar[Params] = {"switch": False, "todayWaterUsage": 125, "battery": 90}

    def switch_key(self, params: dict[str, Any]) -> str:
        """``switch_00`` on models that report it instead of ``switch``."""
        return "switch_00" if "switch_00" in params and "switch" not in params else "switch"

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``switch`` (open), today's water usage and battery."""
        params = as_dict(params)
        switch = on_off(params.get(self.switch_key(params)))
        return {"switch": switch, **read_all(self.readings, params)}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Open/close toggle."""
        return [Control("switch", "toggle", "Open", value=self.state(params, tags)["switch"])]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """A boolean unless the device reported "on"/"off" strings."""
        params = as_dict(params)
        key = self.switch_key(params)
        current = params.get(key)
        return {key: ("on" if value else "off") if isinstance(current, str) else value}

    def charts(self) -> list[ChartSeries]:
        """Water used today."""
        return charted(self.readings)

    def summary(self, state: dict[str, Any]) -> str:
        """ "Open" / "Closed"."""
        if state.get("switch") is None:
            return on_off_label(None)
        return "Open" if state["switch"] else "Closed"
