"""Shared machinery of the per-UIID parameter models: validators, timers, merge rules."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Validator = Callable[[str, Any], Any]
ON_OFF = ("on", "off")


class ParamError(ValueError):
    """A parameter the device would reject; the cloud answers error 400."""


def one_of(*allowed: Any) -> Validator:
    def check(key: str, value: Any) -> Any:
        if isinstance(value, bool) and not any(isinstance(a, bool) for a in allowed):
            raise ParamError(f"{key} must be one of {allowed}")
        if value not in allowed:
            raise ParamError(f"{key} must be one of {allowed}")
        return value

    return check


def int_range(lo: int, hi: int) -> Validator:
    def check(key: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ParamError(f"{key} must be an integer in {lo}..{hi}")
        return value

    return check


def num_range(lo: float, hi: float) -> Validator:
    def check(key: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise ParamError(f"{key} must be a number in {lo}..{hi}")
        return value

    return check


def str_int_range(lo: int, hi: int) -> Validator:
    """String-encoded integers, as the B1 bulb's channel values."""

    def check(key: str, value: Any) -> Any:
        if not isinstance(value, str) or not value.isdigit() or not lo <= int(value) <= hi:
            raise ParamError(f"{key} must be a string integer in {lo}..{hi}")
        return value

    return check


def boolean(key: str, value: Any) -> Any:
    if not isinstance(value, bool):
        raise ParamError(f"{key} must be a boolean")
    return value


def any_value(key: str, value: Any) -> Any:
    return value


def obj_fields(**validators: Validator) -> Validator:
    """An object whose listed keys must all be present (e.g. B02 `{br, ct}` sent together)."""

    def check(key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ParamError(f"{key} must be an object")
        for name, validate in validators.items():
            if name not in value:
                raise ParamError(f"{key}.{name} is required")
            validate(f"{key}.{name}", value[name])
        return value

    return check


TIMER_TYPES = ("once", "repeat", "duration")
APP_TIMER_TYPES = ("once", "repeat", "duration", "delay")


def timers(key: str, value: Any) -> Any:
    """`timers` is always sent whole; check every element's shape."""
    if not isinstance(value, list):
        raise ParamError("timers must be an array")
    seen: set[str] = set()
    for timer in value:
        _check_timer(timer)
        if timer["mId"] in seen:
            raise ParamError("timers: duplicate mId")
        seen.add(timer["mId"])
    return value


def _check_timer(timer: Any) -> None:
    if not isinstance(timer, dict):
        raise ParamError("timers: each timer must be an object")
    if timer.get("enabled") not in (0, 1) or isinstance(timer.get("enabled"), bool):
        raise ParamError("timers: enabled must be 0 or 1")
    if not isinstance(timer.get("mId"), str) or not timer["mId"]:
        raise ParamError("timers: mId is required")
    if timer.get("type") not in TIMER_TYPES:
        raise ParamError("timers: type must be once, repeat or duration")
    if timer.get("coolkit_timer_type", timer["type"]) not in APP_TIMER_TYPES:
        raise ParamError("timers: bad coolkit_timer_type")
    if not isinstance(timer.get("at"), str) or not timer["at"]:
        raise ParamError("timers: at is required")
    if timer["type"] == "duration":
        if not isinstance(timer.get("startDo"), dict) or not isinstance(timer.get("endDo"), dict):
            raise ParamError("timers: a loop timer needs startDo and endDo")
    elif not isinstance(timer.get("do"), dict):
        raise ParamError("timers: do is required")


def outlet_array(item_key: str, channels: int, item_check: Validator) -> Validator:
    """Arrays keyed by `outlet` (switches, configure, pulses): in range, no duplicates."""

    def check(key: str, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise ParamError(f"{key} must be a non-empty array")
        seen: set[int] = set()
        for item in value:
            if not isinstance(item, dict):
                raise ParamError(f"{key}: items must be objects")
            outlet = item.get("outlet")
            if isinstance(outlet, bool) or not isinstance(outlet, int):
                outlet = -1
            if not 0 <= outlet < channels or outlet in seen:
                raise ParamError(f"{key}: outlet must be unique in 0..{channels - 1}")
            seen.add(outlet)
            if item_key in item:
                item_check(f"{key}.{item_key}", item[item_key])
        return value

    return check


def merge_by_outlet(current: list[dict[str, Any]], incoming: list[dict[str, Any]]) -> list:
    """Partial arrays update only the outlets they name."""
    merged = {item["outlet"]: dict(item) for item in current if isinstance(item, dict)}
    for item in incoming:
        merged.setdefault(item["outlet"], {}).update(item)
    return [merged[k] for k in sorted(merged)]


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def toggle(value: Any) -> str:
    return "off" if value == "on" else "on"


class Model:
    """A family of UIIDs: default params, what the device accepts, how it behaves."""

    name = "generic"
    live_keys: tuple[str, ...] = ()
    # Keys whose arrays merge by outlet instead of being replaced.
    outlet_keys: tuple[str, ...] = ()

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.fields: dict[str, Validator] = {
            "timers": timers,
            "sledOnline": one_of(*ON_OFF),
        }
        self.setup()

    def setup(self) -> None:
        """Subclasses add their fields here."""

    def defaults(self) -> dict[str, Any]:
        return {"sledOnline": "on", "timers": [], "rssi": -55}

    def check_rules(self, current: dict[str, Any], incoming: dict[str, Any]) -> None:
        """Cross-field rules (D1 brightness needs switch+mode, ...)."""

    def apply(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        """Validate everything, then merge; return the params that changed as sent."""
        if not isinstance(incoming, dict):
            raise ParamError("params must be an object")
        for key, value in incoming.items():
            self.fields.get(key, any_value)(key, value)
        self.check_rules(current, incoming)
        return self.merge(current, incoming)

    def merge(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        changes = {k: v for k, v in incoming.items() if k != "uiActive"}
        for key, value in changes.items():
            if key in self.outlet_keys and isinstance(current.get(key), list):
                current[key] = merge_by_outlet(current[key], value)
            else:
                current[key] = value
        return changes

    def followup(self, params: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any] | None:
        """Params the device reports shortly after a command (RF triggers, learned codes)."""
        return None

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        """A spontaneous device-side change (a sensor reading, a button press)."""
        return {"rssi": -rng.randint(40, 80)}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        """A benchmark event: a numeric field that changes on every event."""
        return {"rssi": -(30 + n % 60)}
