"""Meters' energy history: the requests that ask for it and the decoders of its reports.

Encodings from the protocol notes §3.3 (newest first, as the device keeps them):
- POW / POW R2 / S40 ``hundredDaysKwhData``: 6 characters a day, hex(2) whole kWh, then
  digit 4 tenths and digit 6 hundredths;
- DualR3 / SPM ``kwhHistories_0N``: 4 characters a day, hex(2) whole kWh + dec(2) hundredths;
- POWR3 ``hoursKwhData``: 3 characters an hour, hex(1) whole kWh + dec(2) hundredths.
A malformed chunk ends the history there: what came before it is still good.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from devices.plugins.base import EnergyHistory, Params

HUNDRED_DAYS = "hundredDaysKwhData"
HOURS = "hoursKwhData"
HOURS_ASKED = 720  # 30 days of hours, the most the POWR3 keeps
DAYS_ASKED = 100


def _chunks(text: Any, size: int, decode: Callable[[str], float]) -> tuple[float, ...]:
    if not isinstance(text, str):
        return ()
    values: list[float] = []
    for start in range(0, len(text) - size + 1, size):
        try:
            values.append(round(decode(text[start : start + size]), 2))
        except ValueError:
            break
    return tuple(values)


def _pow_day(chunk: str) -> float:
    return int(chunk[0:2], 16) + int(chunk[3]) * 0.1 + int(chunk[5]) * 0.01


def _dual_day(chunk: str) -> float:
    return int(chunk[0:2], 16) + int(chunk[2:4]) * 0.01


def _hour(chunk: str) -> float:
    return int(chunk[0], 16) + int(chunk[1:3]) * 0.01


def hundred_days(text: Any) -> tuple[float, ...]:
    """Daily kWh of a ``hundredDaysKwhData`` string, newest first."""
    return _chunks(text, 6, _pow_day)


def outlet_days(text: Any) -> tuple[float, ...]:
    """Daily kWh of a ``kwhHistories_0N`` string, newest first."""
    return _chunks(text, 4, _dual_day)


def hours(text: Any) -> tuple[float, ...]:
    """Hourly kWh of an ``hoursKwhData`` string, newest first."""
    return _chunks(text, 3, _hour)


class HundredDaysEnergy:
    """Mixin of POW, POW R2 and S40: one request, a hundred days back."""

    energy_keys: ClassVar[frozenset[str]] = frozenset({"hundredDaysKwh", HUNDRED_DAYS})

    def energy_requests(self, params: Params) -> list[Params]:
        """``hundredDaysKwh: "get"``."""
        return [{"hundredDaysKwh": "get"}]

    def energy_history(self, report: Params) -> list[EnergyHistory]:
        """The days of ``hundredDaysKwhData``."""
        days = hundred_days(report.get(HUNDRED_DAYS))
        return [EnergyHistory(0, 24, days)] if days else []


class OutletEnergy:
    """Mixin of DualR3 and the SPM sub-unit: one request per outlet (one at a time, §3.3)."""

    energy_outlets: ClassVar[int] = 2

    def energy_requests(self, params: Params) -> list[Params]:
        """``getKwh_0N: 100`` for each outlet."""
        return [{f"getKwh_0{n}": DAYS_ASKED} for n in range(self.energy_outlets)]

    def energy_history(self, report: Params) -> list[EnergyHistory]:
        """The days of each ``kwhHistories_0N`` in the report (outlet N + 1)."""
        found = []
        for n in range(self.energy_outlets):
            days = outlet_days(report.get(f"kwhHistories_0{n}"))
            if days:
                found.append(EnergyHistory(n + 1, 24, days))
        return found


def outlet_energy_keys(outlets: int) -> frozenset[str]:
    """The request and report keys of ``outlets`` outlets."""
    return frozenset(f"{name}_0{n}" for n in range(outlets) for name in ("getKwh", "kwhHistories"))


class HourlyEnergy:
    """Mixin of the POWR3: the last 720 hours in one request."""

    energy_keys: ClassVar[frozenset[str]] = frozenset({"getHoursKwh", HOURS})

    def energy_requests(self, params: Params) -> list[Params]:
        """``getHoursKwh: {start: 0, end: 719}``."""
        return [{"getHoursKwh": {"start": 0, "end": HOURS_ASKED - 1}}]

    def energy_history(self, report: Params) -> list[EnergyHistory]:
        """The hours of ``hoursKwhData``."""
        values = hours(report.get(HOURS))
        return [EnergyHistory(0, 1, values)] if values else []
