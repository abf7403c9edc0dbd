"""Single and multi-channel switches, including Zigbee gangs and the iFan."""

from __future__ import annotations

import random
from typing import Any

from .base import ON_OFF, Model, ParamError, any_value, boolean, int_range, one_of, outlet_array
from .base import toggle as flip


def pulse_width(key: str, value: Any) -> Any:
    """Inching width: 500..3 600 000 ms in multiples of 500."""
    int_range(500, 3_600_000)(key, value)
    if value % 500:
        raise ParamError(f"{key} must be a multiple of 500")
    return value


class SingleSwitch(Model):
    """UIID 1/6/14/24/27 and Zigbee 1009/1256/7004/7010: one `switch` on/off."""

    name = "switch"

    def setup(self) -> None:
        self.boolean = self.options.get("boolean", False)
        self.fields.update(
            switch=boolean if self.boolean else one_of(*ON_OFF),
            startup=one_of("on", "off", "stay"),
            pulse=one_of(*ON_OFF),
            pulseWidth=pulse_width,
        )

    def defaults(self) -> dict[str, Any]:
        base = super().defaults()
        if self.boolean:
            return base | {"switch": False}
        return base | {"switch": "off", "startup": "off", "pulse": "off", "pulseWidth": 500}

    def toggled(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.boolean:
            return {"switch": not params.get("switch", False)}
        return {"switch": flip(params.get("switch"))}

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        return self.toggled(params) if rng.random() < 0.5 else super().drift(params, rng, live)

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return self.toggled(params)


class MultiSwitch(Model):
    """`switches[]` by outlet. WiFi accepts partial arrays; Zigbee gangs need the full array."""

    name = "multi-switch"
    outlet_keys = ("switches", "pulses")

    def setup(self) -> None:
        self.channels: int = self.options.get("channels", 2)
        self.full_array: bool = self.options.get("full_array", False)
        n = self.channels
        self.fields.update(
            switches=outlet_array("switch", n, one_of(*ON_OFF)),
            configure=outlet_array("startup", n, one_of("on", "off", "stay")),
            pulses=outlet_array("pulse", n, one_of(*ON_OFF)),
        )

    def defaults(self) -> dict[str, Any]:
        outlets = range(self.channels)
        return super().defaults() | {
            "switches": [{"switch": "off", "outlet": i} for i in outlets],
            "configure": [{"startup": "off", "outlet": i} for i in outlets],
            "pulses": [{"pulse": "off", "width": 1000, "outlet": i} for i in outlets],
        }

    def check_rules(self, current: dict[str, Any], incoming: dict[str, Any]) -> None:
        sent = incoming.get("switches")
        if self.full_array and sent is not None and len(sent) != self.channels:
            raise ParamError(f"switches must carry all {self.channels} outlets")
        if "configure" in incoming and len(incoming["configure"]) != self.channels:
            raise ParamError("configure must be sent whole")

    def toggled(self, params: dict[str, Any], outlet: int) -> dict[str, Any]:
        switches = [dict(s) for s in params.get("switches", [])]
        for item in switches:
            if item.get("outlet") == outlet:
                item["switch"] = flip(item.get("switch"))
        if self.full_array:
            return {"switches": switches}
        return {"switches": [s for s in switches if s.get("outlet") == outlet]}

    def drift(self, params: dict[str, Any], rng: random.Random, live: bool) -> dict[str, Any]:
        if rng.random() < 0.5:
            return self.toggled(params, rng.randrange(self.channels))
        return super().drift(params, rng, live)

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        return self.toggled(params, n % self.channels)


# iFan speeds as outlet 1..3 states (notes §3.2, UIID 34).
FAN_SPEEDS = {
    0: ("off", "off", "off"),
    1: ("on", "off", "off"),
    2: ("on", "on", "off"),
    3: ("on", "off", "on"),
}


class Fan(MultiSwitch):
    """UIID 34 iFan: outlet 0 is the light, outlets 1..3 encode the fan speed."""

    name = "fan"

    def setup(self) -> None:
        self.options["channels"] = 4
        super().setup()
        self.fields.update(light=one_of(*ON_OFF), fan=one_of(*ON_OFF), speed=any_value)

    def load_event(self, params: dict[str, Any], n: int) -> dict[str, Any]:
        states = FAN_SPEEDS[n % 4]
        return {"switches": [{"switch": s, "outlet": i + 1} for i, s in enumerate(states)]}
