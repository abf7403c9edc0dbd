"""Readings: the values a card shows (power, temperature …), declared once, in the plugin.

A plugin lists its readings in ``DevicePlugin.readings``: the key of ``state()`` each one
shows, its label and unit, and optionally the param it is read from. The card templates
draw them with one tag (``{% readings plugin state %}``), so labels and units are written
nowhere else, and a reading the device never reported (None or absent) is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

from devices.plugins.base import ChartSeries
from devices.plugins.values import to_float


@dataclass(frozen=True)
class Reading:
    """One value of ``state()`` shown on the card: ``state[key]`` with its label and unit.

    With ``param``, `read_all` fills ``state[key]`` as ``params[param] x scale``; without
    it, the plugin computes the value in ``state()`` itself. ``words`` turns coded values
    ("moderate") into words ("Moderate"); ``card=False`` keeps a value for charts only.
    """

    key: str
    label: str
    unit: str = ""
    _: KW_ONLY
    param: str | None = None
    scale: float = 1.0
    chart: bool = True
    card: bool = True
    words: tuple[tuple[str, str], ...] = ()

    def read(self, params: Mapping[str, Any]) -> float | None:
        """The scaled value of ``param``, or None when missing, unreadable or not a param."""
        return to_float(params.get(self.param), self.scale) if self.param else None

    def series(self) -> ChartSeries:
        """The chart series of this reading."""
        return ChartSeries(self.key, self.label, self.unit)

    def text(self, value: Any) -> str:
        """The value as shown, without the unit: numbers as Python's "%g", codes in words."""
        if isinstance(value, float | int) and not isinstance(value, bool):
            return f"{value:g}"
        return dict(self.words).get(value, value) if isinstance(value, str) else str(value)


BATTERY = Reading("battery", "Battery", "%", param="battery")


def read_all(readings: Iterable[Reading], params: Mapping[str, Any]) -> dict[str, float | None]:
    """``{key: value}`` for every reading read from a param."""
    return {reading.key: reading.read(params) for reading in readings if reading.param}


def charted(readings: Iterable[Reading]) -> list[ChartSeries]:
    """The chart series of the readings marked ``chart`` (coded values are not numbers)."""
    return [reading.series() for reading in readings if reading.chart and not reading.words]


def per_channel(channels: int, scale: float) -> tuple[Reading, ...]:
    """DualR3 / SPM style ``actPow_0X``, ``voltage_0X``, ``current_0X`` readings.

    The card shows each channel's power and one voltage (the channels share a supply); the
    per-channel currents and the other voltages are kept in the state.
    """
    readings: list[Reading] = []
    for outlet in range(channels):
        n = outlet + 1
        readings += [
            Reading(f"power_{n}", f"Power {n}", "W", param=f"actPow_0{outlet}", scale=scale),
            Reading(
                f"voltage_{n}",
                "Voltage" if n == 1 else f"Voltage {n}",
                "V",
                param=f"voltage_0{outlet}",
                scale=scale,
                card=n == 1,
            ),
            Reading(
                f"current_{n}",
                f"Current {n}",
                "A",
                param=f"current_0{outlet}",
                scale=scale,
                card=False,
            ),
        ]
    return tuple(readings)


def format_value(value: Any, unit: str) -> str:
    """ "21.5 °C", "1200 W"; an en dash for a missing value (summaries only: cards omit it)."""
    if value is None:
        return "\u2013"  # an en dash: the typographic "no value"
    number = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{number} {unit}".strip()
