"""Sensors: TH10/16 (15), SNZB-02 (1770/7014), DW2 (102), Zigbee door/motion/leak/smoke."""

from __future__ import annotations

import random
import time
from typing import Any

from .base import Model, iso_now
from .switches import SingleSwitch


class THSwitch(SingleSwitch):
    """UIID 15: a relay with temperature and humidity as strings."""

    name = "th"

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {
            "mainSwitch": "off",
            "deviceType": "normal",
            "sensorType": "AM2301",
            "currentTemperature": "21.5",
            "currentHumidity": "48",
            "targets": [],
        }

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        temp = _float(params.get("currentTemperature"), 21.5) + rng.choice((-0.1, 0.1))
        hum = _float(params.get("currentHumidity"), 48) + rng.choice((-1, 0, 1))
        return {"currentTemperature": f"{temp:.1f}", "currentHumidity": str(int(hum))}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"currentTemperature": f"{(n % 600) / 10:.1f}"}


class ZigbeeTH(Model):
    """1770/1771/7014: temperature and humidity x100, battery %, trigTime in ms."""

    name = "zigbee-th"

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {
            "temperature": "2150",
            "humidity": "4800",
            "battery": 90,
            "trigTime": "0",
        }

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        temp = int(_float(params.get("temperature"), 2150)) + rng.choice((-10, 10))
        return {"temperature": str(temp), "trigTime": _ms_string()}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"temperature": str(n % 6000)}


class BinarySensor(Model):
    """Door (3026/7003 `lock`), motion (2026/7002 `motion`), leak (`water`), smoke (`smoke`)."""

    name = "binary-sensor"

    def setup(self) -> None:
        self.key: str = self.options.get("key", "lock")

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {self.key: 0, "battery": 95, "trigTime": "0"}

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        return {self.key: 1 - int(params.get(self.key, 0)), "trigTime": _ms_string()}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {self.key: n % 2, "trigTime": str(n)}


class DoorDW2(Model):
    """UIID 102/154: `switch` on = open, battery in volts as a string."""

    name = "dw2"

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {"switch": "off", "battery": "2.9", "actionTime": iso_now()}

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        opened = "off" if params.get("switch") == "on" else "on"
        return {"switch": opened, "actionTime": iso_now()}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"switch": "on" if n % 2 else "off", "actionTime": iso_now()}


class Button(Model):
    """Zigbee buttons (1000/7000): `key` 0 click, 1 double, 2 long, with trigTime."""

    name = "button"

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {"key": 0, "battery": 100, "trigTime": "0"}

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        return {"key": rng.choice((0, 0, 1, 2)), "trigTime": _ms_string()}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"key": n % 3, "trigTime": str(n)}


def _float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _ms_string() -> str:
    return str(int(time.time() * 1000))
