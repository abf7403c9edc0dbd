"""DualR3 (126) and DualR3 Lite (165): two metered relays, or a cover motor in workMode 2."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import Control, Params, with_value
from devices.plugins.meter.energy import OutletEnergy, outlet_energy_keys
from devices.plugins.meter.plugins import MeterPlugin, TwoOutletRelay
from devices.plugins.readings import Reading, format_value, per_channel
from devices.plugins.values import as_dict, clamp, to_float, to_int

MOTOR_MODE = 2
# motorTurn values: 0 stop, 1 open, 2 close (notes §3.2, UIID 126).
MOTOR_BUTTONS = (("open", "Open", 1), ("stop", "Stop", 0), ("close", "Close", 2))
MOTION = {0: "stopped", 1: "opening", 2: "closing"}


class DualR3Plugin(OutletEnergy, MeterPlugin):
    """Two relays with per-channel x0.01 readings; a cover when ``workMode`` is 2."""

    key = "dualr3"
    label = "Dual relay"
    uiids = frozenset({126, 165})
    relay_class = TwoOutletRelay
    # The position exists (in the state) only in motor mode: the card shows it only then.
    readings = (Reading("position", "Position", "%", chart=False), *per_channel(2, 0.01))
    energy_keys = outlet_energy_keys(2)
    example_params: ClassVar[Params] = {
        "switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 1}],
        "workMode": 1,
        "actPow_00": 2345,
        "voltage_00": 23012,
        "current_00": 11,
        "actPow_01": 0,
    }

    def energy_requests(self, params: Params) -> list[Params]:
        """Only the DualR3 meters (126); the Lite (165) keeps no energy history."""
        return super().energy_requests(params) if self.uiid != 165 else []

    def is_cover(self, params: Params) -> bool:
        """Motor mode turns the two relays into one cover."""
        return to_int(as_dict(params).get("workMode")) == MOTOR_MODE

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Relay or cover state, plus the per-channel readings."""
        params = as_dict(params)
        result = super().state(params, tags)
        if self.is_cover(params):
            # currLocation already uses 0 = closed, 100 = open: no inversion here.
            result["mode"] = "cover"
            result["position"] = _percent(params.get("currLocation"))
            result["motion"] = MOTION.get(to_int(params.get("motorTurn")) or 0)
        else:
            result["mode"] = "switch"
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Two toggles, or a position slider with open/stop/close buttons."""
        if not self.is_cover(params):
            return super().controls(params, tags)
        position = _percent(as_dict(params).get("currLocation"))
        return [
            with_value(Control("position", "range", "Position", 0, 0, 100, 1, unit="%"), position),
            *(Control(name, "button", label) for name, label, _turn in MOTOR_BUTTONS),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``location`` for a position, ``motorTurn`` for buttons, else the relay command."""
        if control.name == "position":
            return {"location": value}
        turns = {name: turn for name, _label, turn in MOTOR_BUTTONS}
        if control.name in turns:
            return {"motorTurn": turns[control.name]}
        return super().build(control, value, params, tags)

    def summary(self, state: dict[str, Any]) -> str:
        """ "Open 40 %" in cover mode, else the relay summary."""
        if state.get("mode") == "cover":
            return cover_summary(state.get("position"))
        return super().summary(state)

    def live_request(self, params: Params) -> Params | None:
        """Only the Dual R3 (126) meters; the Lite has nothing live to report."""
        return super().live_request(params) if self.uiid != 165 else None


def cover_summary(position: Any) -> str:
    """ "Closed", "Open", "Open 40 %" or "Unknown"."""
    if position is None:
        return "Unknown"
    if position <= 0:
        return "Closed"
    if position >= 100:
        return "Open"
    return f"Open {format_value(position, '%')}"


def _percent(value: Any) -> int | None:
    number = clamp(to_float(value), 0, 100)
    return None if number is None else round(number)
