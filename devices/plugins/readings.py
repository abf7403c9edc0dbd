"""Declarative read-only values (power, temperature …) shared by several plugin kinds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devices.plugins.base import ChartSeries
from devices.plugins.values import to_float


@dataclass(frozen=True)
class Reading:
    """One numeric param shown on the card: ``state[key] = params[param] x scale``."""

    key: str
    param: str
    label: str
    unit: str = ""
    scale: float = 1.0
    chart: bool = True

    def read(self, params: dict[str, Any]) -> float | None:
        """The scaled value, or None when missing or unreadable."""
        return to_float(params.get(self.param), self.scale)

    def series(self) -> ChartSeries:
        """The chart series of this reading."""
        return ChartSeries(self.key, self.label, self.unit)


def read_all(readings: tuple[Reading, ...], params: dict[str, Any]) -> dict[str, float | None]:
    """``{key: value}`` for every reading."""
    return {reading.key: reading.read(params) for reading in readings}


def charted(readings: tuple[Reading, ...]) -> list[ChartSeries]:
    """The chart series of the readings marked ``chart``."""
    return [reading.series() for reading in readings if reading.chart]


def per_channel(channels: int, scale: float) -> tuple[Reading, ...]:
    """DualR3 / SPM style ``actPow_0X``, ``voltage_0X``, ``current_0X`` readings."""
    readings: list[Reading] = []
    for outlet in range(channels):
        n = outlet + 1
        readings += [
            Reading(f"power_{n}", f"actPow_0{outlet}", f"Power {n}", "W", scale),
            Reading(f"voltage_{n}", f"voltage_0{outlet}", f"Voltage {n}", "V", scale, False),
            Reading(f"current_{n}", f"current_0{outlet}", f"Current {n}", "A", scale, False),
        ]
    return tuple(readings)


def format_value(value: Any, unit: str) -> str:
    """ "21.5 °C", "1200 W"; "-" for a missing value."""
    if value is None:
        return "\u2013"  # an en dash: the typographic "no value"
    number = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{number} {unit}".strip()
