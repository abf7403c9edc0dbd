"""RF bridge (28), Zigbee bridges (66/168/243) and the TRVZB valve (7017)."""

from __future__ import annotations

import random
from typing import Any

from .base import Model, ParamError, boolean, int_range, iso_now, num_range, one_of


class RFBridge(Model):
    """Transmit and learn 433 MHz codes; a transmit comes back as `rfTrig<N>`."""

    name = "rf-bridge"

    def setup(self) -> None:
        self.fields.update(
            cmd=one_of("transmit", "capture", "captureCancel", "edit"), rfChl=int_range(0, 63)
        )

    def defaults(self) -> dict[str, Any]:
        learned = [{"rfChl": i, "rfVal": f"{0x1234 + i:06X}"} for i in range(4)]
        return super().defaults() | {"rfList": learned, "init": 1}

    def check_rules(self, current: dict[str, Any], incoming: dict[str, Any]) -> None:
        cmd = incoming.get("cmd")
        if cmd in ("transmit", "capture") and "rfChl" not in incoming:
            raise ParamError("rfChl is required")
        learned = {r.get("rfChl") for r in current.get("rfList", [])}
        if cmd == "transmit" and incoming["rfChl"] not in learned:
            raise ParamError("rfChl has not been learned")

    def merge(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        if "cmd" not in incoming:
            return super().merge(current, incoming)
        return dict(incoming)  # commands are transmitted, not stored as state

    def followup(self, params: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any] | None:
        cmd, channel = applied.get("cmd"), int(applied.get("rfChl") or 0)
        if cmd == "transmit":
            return {f"rfTrig{channel}": iso_now()}
        if cmd == "capture":
            learned = [r for r in params.get("rfList", []) if r.get("rfChl") != channel]
            learned.append({"rfChl": channel, "rfVal": f"{0xA000 + channel:06X}"})
            params["rfList"] = learned
            return {"rfList": learned}
        return None

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        learned = params.get("rfList") or [{"rfChl": 0}]
        return {f"rfTrig{rng.choice(learned)['rfChl']}": iso_now()}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {f"rfTrig{n % 4}": iso_now()}


class ZigbeeBridge(Model):
    """ZBBridge: LED and rssi only; its children are their own things with `parentid`."""

    name = "zigbee-bridge"

    def setup(self) -> None:
        self.fields["zled"] = one_of("on", "off")

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {"zled": "on"}


TEMP_X10 = num_range(40, 350)


class Trv(Model):
    """UIID 7017 TRVZB: string `workMode`, temperatures x0.1, boolean flags."""

    name = "trv"

    def setup(self) -> None:
        self.fields.update(
            workMode=one_of("0", "1", "2"),
            manTargetTemp=TEMP_X10,
            ecoTargetTemp=TEMP_X10,
            autoTargetTemp=TEMP_X10,
            childLock=boolean,
            windowSwitch=boolean,
            openPercent=int_range(0, 100),
        )

    def defaults(self) -> dict[str, Any]:
        return super().defaults() | {
            "workMode": "0",
            "manTargetTemp": 210,
            "ecoTargetTemp": 160,
            "autoTargetTemp": 200,
            "curTargetTemp": 210,
            "temperature": 195,
            "childLock": False,
            "windowSwitch": False,
            "openPercent": 50,
            "battery": 85,
        }

    def merge(self, current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
        changes = super().merge(current, incoming)
        key = {"0": "manTargetTemp", "1": "ecoTargetTemp", "2": "autoTargetTemp"}
        target = current.get(key.get(current.get("workMode", "0"), "manTargetTemp"))
        if target is not None and target != current.get("curTargetTemp"):
            current["curTargetTemp"] = changes["curTargetTemp"] = target
        return changes

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        return {"temperature": int(params.get("temperature", 195)) + rng.choice((-1, 1))}

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return {"temperature": 100 + n % 200}
