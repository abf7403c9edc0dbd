"""Power meters: POW (5), POW R2/S31 (32), DualR3 (126), SPM-4Relay (130), POWR3 (190)."""

from __future__ import annotations

import random
from typing import Any

from .base import ParamError
from .switches import MultiSwitch, SingleSwitch


def ui_active(key: str, value: Any) -> Any:
    """`uiActive`: seconds, or `{"outlet": n, "time": s}` for SPM sub-units."""
    if isinstance(value, dict):
        outlet, seconds = value.get("outlet"), value.get("time")
        if not isinstance(outlet, int) or not isinstance(seconds, int) or seconds <= 0:
            raise ParamError("uiActive must be {outlet:int, time:int>0}")
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ParamError("uiActive must be a positive number of seconds")
    return value


def ui_active_seconds(value: Any) -> int:
    return int(value["time"]) if isinstance(value, dict) else int(value)


class StringMeter(SingleSwitch):
    """UIID 5 and 32: `power`/`voltage`/`current` as strings with two decimals."""

    name = "meter-string"
    live_keys = ("power", "voltage", "current")

    def setup(self) -> None:
        super().setup()
        self.fields["uiActive"] = ui_active
        self.with_vc = self.options.get("with_vc", True)

    def defaults(self) -> dict[str, Any]:
        base = super().defaults() | {"switch": "on", "power": "0.00"}
        if self.with_vc:
            base |= {"voltage": "230.00", "current": "0.00", "alarmType": "pcv"}
        return base

    def merge(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        super().merge(current, without_commands(incoming))
        return {k: v for k, v in incoming.items() if k != "uiActive"}

    def followup(self, params: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any] | None:
        return energy_report(applied)

    def reading(self, watts: float, rng: random.Random) -> dict[str, Any]:
        out = {"power": f"{watts:.2f}"}
        if self.with_vc:
            volts = 228 + rng.random() * 4
            out |= {"voltage": f"{volts:.2f}", "current": f"{watts / volts:.2f}"}
        return out

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        if not live:
            return super().drift(params, rng, live)
        on = params.get("switch") == "on"
        return self.reading(rng.uniform(40, 1800) if on else 0.0, rng)

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"power": f"{n % 100000 / 10:.2f}"}


class ScaledMeter(MultiSwitch):
    """126/130/190: per-outlet or single `switches[]` plus x0.01 integer readings."""

    name = "meter-scaled"

    def setup(self) -> None:
        super().setup()
        self.fields["uiActive"] = ui_active
        self.per_outlet: bool = self.options.get("per_outlet", True)
        self.live_keys = self.reading_keys()

    def merge(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        super().merge(current, without_commands(incoming))
        return {k: v for k, v in incoming.items() if k != "uiActive"}

    def followup(self, params: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any] | None:
        return energy_report(applied)

    def reading_keys(self) -> tuple[str, ...]:
        if not self.per_outlet:
            return ("power", "voltage", "current")
        names = ("actPow", "voltage", "current")
        return tuple(f"{n}_0{i}" for i in range(self.channels) for n in names)

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | dict.fromkeys(self.live_keys, 0)

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        if not live:
            return super().drift(params, rng, live)
        if not self.per_outlet:
            watts = rng.randint(0, 200000)
            return {"power": watts, "voltage": rng.randint(22800, 23200), "current": watts // 230}
        outlet = rng.randrange(self.channels)
        return {f"actPow_0{outlet}": rng.randint(0, 200000), f"voltage_0{outlet}": 23000}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        key = "power" if not self.per_outlet else f"actPow_0{n % self.channels}"
        return {key: n % 10_000_000}


# Energy history encodings (notes §3.3), newest first; values are synthetic but well formed.
def pow_days(days: int) -> str:
    """POW/POWR2: 6 characters a day: hex whole kWh, then 0, tenths, 0, hundredths."""
    return "".join(f"{d % 7 + 1:02x}0{d % 10}0{(d * 3) % 10}" for d in range(days))


def dual_days(days: int) -> str:
    """DualR3/SPM: 4 characters a day: hex whole kWh + two decimal digits."""
    return "".join(f"{d % 5 + 1:02x}{(d * 7) % 100:02d}" for d in range(days))


def hours(count: int) -> str:
    """POWR3: 3 characters an hour: one hex digit + two decimal digits."""
    return "".join(f"{h % 3:1x}{(h * 11) % 100:02d}" for h in range(count))


ENERGY_COMMANDS = ("hundredDaysKwh", "getHoursKwh", *(f"getKwh_0{i}" for i in range(4)))


def energy_report(applied: dict[str, Any]) -> dict[str, Any] | None:
    """What a meter reports after an energy-history request."""
    if applied.get("hundredDaysKwh") == "get":
        return {"hundredDaysKwhData": pow_days(100)}
    if isinstance(applied.get("getHoursKwh"), dict):
        span = applied["getHoursKwh"]
        count = int(span.get("end", 0)) - int(span.get("start", 0)) + 1
        return {"hoursKwhData": hours(max(1, min(count, 720)))}
    for i in range(4):
        days = applied.get(f"getKwh_0{i}")
        if isinstance(days, int) and not isinstance(days, bool) and days > 0:
            return {f"kwhHistories_0{i}": dual_days(min(days, 100))}
    return None


def without_commands(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in ENERGY_COMMANDS}
