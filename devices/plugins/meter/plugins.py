"""Power-metering plugs and relays: a relay (or several) plus live W / V / A readings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from devices.plugins.base import ChartSeries, Control, DevicePlugin, Params
from devices.plugins.meter.energy import (
    HourlyEnergy,
    HundredDaysEnergy,
    OutletEnergy,
    outlet_energy_keys,
)
from devices.plugins.readings import Reading, charted, format_value, per_channel, read_all
from devices.plugins.switch.plugins import (
    BoolSwitchPlugin,
    MultiSwitchPlugin,
    SingleSwitchPlugin,
)
from devices.plugins.values import as_dict

LIVE_SECONDS = 60
POWER = Reading("power", "Power", "W", param="power")
VOLTAGE = Reading("voltage", "Voltage", "V", param="voltage")
CURRENT = Reading("current", "Current", "A", param="current")
ENERGY_DAY = Reading("energy_day", "Energy today", "kWh", param="dayKwh", scale=0.01, chart=False)
ENERGY_MONTH = Reading(
    "energy_month", "Energy this month", "kWh", param="monthKwh", scale=0.01, chart=False
)


def _scaled(reading: Reading, scale: float) -> Reading:
    return replace(reading, scale=scale)


class FixedOutletRelay(MultiSwitchPlugin):
    """The ``switches[]`` relay of a meter, with the outlet count the meter fixes.

    A building block for meter plugins, not a registered plugin itself.
    """

    uiids = frozenset()
    channel_counts: ClassVar[dict[int, int]] = {}
    count: ClassVar[int] = 1

    def outlets(self, params: Params) -> range:
        """Always ``count`` outlets, whatever the device reports."""
        return range(self.count)


class TwoOutletRelay(FixedOutletRelay):
    """DualR3 relays."""

    count = 2


class FourOutletRelay(FixedOutletRelay):
    """SPM-4Relay sub-unit relays."""

    count = 4


class MeterPlugin(DevicePlugin):
    """Base of the meters: a relay plugin for on/off plus declarative readings."""

    card_template = "devices/cards/meter.html"
    relay_class: ClassVar[type[DevicePlugin]] = SingleSwitchPlugin
    readings: ClassVar[tuple[Reading, ...]] = (POWER,)
    live_params: ClassVar[Params | None] = {"uiActive": LIVE_SECONDS}
    option_names = ("power_on", "led")

    def __init__(self, uiid: int | None = None) -> None:
        super().__init__(uiid)
        self.relay = self.relay_class(uiid)

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Relay state plus scaled readings."""
        params = as_dict(params)
        return {**self.relay.state(params, tags), **read_all(self.readings, params)}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """The relay's toggles."""
        return self.relay.controls(params, tags)

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """The relay's command."""
        return self.relay.build(control, value, params, tags)

    def charts(self) -> list[ChartSeries]:
        """Power (and whatever else the class marks as charted)."""
        return charted(self.readings)

    def sparkline(self) -> str | None:
        """Cards of meters draw their (first outlet's) power."""
        return next((s.key for s in self.charts() if s.key.startswith("power")), None)

    def live_request(self, params: Params) -> Params | None:
        """``uiActive`` so the device reports live power while someone watches."""
        return dict(self.live_params) if self.live_params else None

    def summary(self, state: dict[str, Any]) -> str:
        """ "On · 68.8 W"."""
        relay = self.relay.summary(state)
        power = state.get("power")
        return f"{relay} · {format_value(power, POWER.unit)}" if power is not None else relay


class PowPlugin(HundredDaysEnergy, MeterPlugin):
    """POW first generation: ``switch`` and ``power`` (a string of watts)."""

    key = "pow"
    label = "Power meter plug"
    uiids = frozenset({5})
    example_params: ClassVar[Params] = {"switch": "on", "power": "12.50"}


class PowR2Plugin(HundredDaysEnergy, MeterPlugin):
    """POW R2 / S31: ``power``/``voltage``/``current`` strings ("68.79") or LAN numbers."""

    key = "pow_r2"
    label = "Power meter plug"
    uiids = frozenset({32})
    readings = (POWER, VOLTAGE, CURRENT)
    example_params: ClassVar[Params] = {
        "switch": "on",
        "power": "68.79",
        "voltage": "229.71",
        "current": "0.34",
        "startup": "off",
    }


class S40Plugin(HundredDaysEnergy, MeterPlugin):
    """S40: a single-outlet ``switches[]`` with plain power readings."""

    key = "s40"
    label = "Power meter plug"
    uiids = frozenset({182})
    relay_class = FixedOutletRelay
    readings = (POWER, VOLTAGE, CURRENT)
    example_params: ClassVar[Params] = {
        "switches": [{"switch": "off", "outlet": 0}],
        "power": 0,
        "voltage": 231.2,
        "current": 0,
    }


class PowR3Plugin(HourlyEnergy, MeterPlugin):
    """POWR3 / S60 / POWCT: integers x0.01, and switching needs ``operSide: 1``."""

    key = "pow_r3"
    label = "Power meter"
    uiids = frozenset({190})
    relay_class = FixedOutletRelay
    readings = (
        _scaled(POWER, 0.01),
        _scaled(VOLTAGE, 0.01),
        _scaled(CURRENT, 0.01),
        ENERGY_DAY,
        ENERGY_MONTH,
        Reading("supply_power", "Supplied power", "W", param="supplyPower", scale=0.01),
    )
    example_params: ClassVar[Params] = {
        "switches": [{"switch": "on", "outlet": 0}],
        "power": 6879,
        "voltage": 22971,
        "current": 34,
        "dayKwh": 112,
        "monthKwh": 3456,
    }

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``switches`` plus ``operSide: 1``, without which the POWR3 ignores the command."""
        return {**super().build(control, value, params, tags), "operSide": 1}


class BreakerPlugin(MeterPlugin):
    """W102 breaker (226): boolean ``switch``; ``phase_0_*`` and ``totalPower`` x0.01."""

    key = "breaker"
    label = "Circuit breaker"
    uiids = frozenset({226})
    relay_class = BoolSwitchPlugin
    readings = (
        replace(POWER, param="phase_0_p", scale=0.01),
        replace(VOLTAGE, param="phase_0_v", scale=0.01),
        replace(CURRENT, param="phase_0_c", scale=0.01),
        Reading("energy_total", "Energy total", "kWh", param="totalPower", scale=0.01, chart=False),
    )
    example_params: ClassVar[Params] = {
        "switch": True,
        "phase_0_p": 120034,
        "phase_0_v": 23010,
        "phase_0_c": 522,
        "totalPower": 987654,
    }


class MeteredStripPlugin(MeterPlugin):
    """4-channel strip (262) and S61 (276): relays plus power/voltage/current x0.01."""

    key = "metered_strip"
    label = "Power meter plug"
    uiids = frozenset({262, 276})
    readings = (
        _scaled(POWER, 0.01),
        _scaled(VOLTAGE, 0.01),
        _scaled(CURRENT, 0.01),
        ENERGY_DAY,
        ENERGY_MONTH,
    )
    example_params: ClassVar[Params] = {
        "switches": [{"switch": "on", "outlet": o} for o in range(4)],
        "power": 4512,
        "voltage": 23001,
        "current": 21,
    }

    def __init__(self, uiid: int | None = None) -> None:
        super().__init__(uiid)
        # Which relay shape each model uses is not documented; follow whichever it reports.
        self.multi = MultiSwitchPlugin(None)

    def _relay_for(self, params: Params) -> DevicePlugin:
        return self.multi if "switches" in as_dict(params) else self.relay

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Relay state (single or multi, as reported) plus readings."""
        params = as_dict(params)
        return {**self._relay_for(params).state(params, tags), **read_all(self.readings, params)}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Toggles of the reported relay shape."""
        return self._relay_for(params).controls(params, tags)

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Command for the reported relay shape."""
        return self._relay_for(params).build(control, value, params, tags)

    def summary(self, state: dict[str, Any]) -> str:
        """ "On · 45.1 W" or "2 of 4 on · 45.1 W"."""
        relay = self.multi if "switch_1" in state else self.relay
        power = state.get("power")
        text = relay.summary(state)
        return f"{text} · {format_value(power, POWER.unit)}" if power is not None else text


class SpmSubUnitPlugin(OutletEnergy, MeterPlugin):
    """SPM-4Relay sub-unit (130): four relays, each with its own x0.01 readings."""

    key = "spm_sub_unit"
    label = "Power meter relay unit"
    uiids = frozenset({130})
    relay_class = FourOutletRelay
    readings = per_channel(4, 0.01)
    energy_outlets = 4
    energy_keys = outlet_energy_keys(4)
    example_params: ClassVar[Params] = {
        "switches": [{"switch": "on", "outlet": o} for o in range(4)],
        "actPow_00": 10050,
        "voltage_00": 22990,
        "current_00": 44,
    }

    def live_request(self, params: Params) -> Params | None:
        """One outlet at a time (notes §5): the first one switched on, else outlet 0."""
        states = self.relay.state(params, {})
        outlet = next((o for o in range(4) if states.get(f"switch_{o + 1}")), 0)
        return {"uiActive": {"outlet": outlet, "time": LIVE_SECONDS}}

    def summary(self, state: dict[str, Any]) -> str:
        """ "2 of 4 on · 150.5 W" with the outlets' power added up."""
        powers = [state.get(f"power_{n}") for n in range(1, 5)]
        known = [p for p in powers if isinstance(p, float)]
        text = self.relay.summary(state)
        return f"{text} · {format_value(round(sum(known), 2), POWER.unit)}" if known else text


__all__ = [
    "BreakerPlugin",
    "FixedOutletRelay",
    "FourOutletRelay",
    "MeterPlugin",
    "MeteredStripPlugin",
    "PowPlugin",
    "PowR2Plugin",
    "PowR3Plugin",
    "S40Plugin",
    "SpmSubUnitPlugin",
    "TwoOutletRelay",
]
