"""Covers: KingArt Q4 (11, 258, 7034) and Zigbee curtain motors (1514/7006)."""

from __future__ import annotations

import random
from typing import Any

from .base import Model, int_range, one_of


class Q4Cover(Model):
    """`switch` on=open/off=close/pause, `setclose` 0..100 where 100 = closed."""

    name = "cover"

    def setup(self) -> None:
        self.fields.update(switch=one_of("on", "off", "pause"), setclose=int_range(0, 100))

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {"switch": "pause", "setclose": 100}

    def merge(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        changes = dict(incoming)
        if incoming.get("switch") == "on":
            changes.setdefault("setclose", 0)
        elif incoming.get("switch") == "off":
            changes.setdefault("setclose", 100)
        return super().merge(current, changes)

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"setclose": n % 101}


class ZigbeeCurtain(Model):
    """`openPercent` sets the position; the device reports `curPercent` = 100 - position."""

    name = "zigbee-curtain"

    def setup(self) -> None:
        self.fields.update(
            openPercent=int_range(0, 100), curtainAction=one_of("open", "close", "pause")
        )

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {"curPercent": 100, "curtainAction": "pause", "battery": 80}

    def merge(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        changes = super().merge(current, incoming)
        if "openPercent" in incoming:
            current["curPercent"] = 100 - incoming["openPercent"]
            changes["curPercent"] = current["curPercent"]
        action = incoming.get("curtainAction")
        if action in ("open", "close"):
            current["curPercent"] = 0 if action == "open" else 100
            changes["curPercent"] = current["curPercent"]
        return changes

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        return {"battery": max(1, int(params.get("battery", 80)) - rng.choice((0, 1)))}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"curPercent": n % 101}
