"""On/off switches: single relay, multi-channel, Zigbee multi-gang and boolean-valued switches."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.arrays import outlet_states
from devices.plugins.base import (
    Control,
    DevicePlugin,
    Params,
    on_off_label,
    on_off_word,
    with_value,
)
from devices.plugins.values import as_dict, channel_name, on_off

MAX_CHANNELS = 4


class SingleSwitchPlugin(DevicePlugin):
    """One relay driven by ``switch`` "on"/"off" (Basic, S26, T1 1-gang, Zigbee plugs)."""

    key = "switch"
    label = "Switch"
    uiids = frozenset({1, 6, 14, 24, 27, 1009, 1256, 7004, 7010})
    card_template = "devices/cards/switch.html"
    option_names = ("power_on", "inching", "led")
    example_params: ClassVar[Params] = {"switch": "on", "startup": "stay", "rssi": -61}

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``switch`` as a bool plus the Wi-Fi signal."""
        params = as_dict(params)
        return {"switch": on_off(params.get("switch")), "rssi": _rssi(params)}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """A single power toggle."""
        current = self.state(params, tags).get("switch")
        return [Control("switch", "toggle", "Power", value=current)]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``{"switch": "on"}``."""
        return {"switch": self.wire(value)}

    def wire(self, value: bool) -> Any:
        """The cloud's representation of an on/off value for this device."""
        return on_off_word(value)


class BoolSwitchPlugin(SingleSwitchPlugin):
    """CK-BL602 PC switch (225): ``switch`` is a JSON boolean, not "on"/"off"."""

    key = "bool_switch"
    label = "Switch"
    uiids = frozenset({225})
    example_params: ClassVar[Params] = {"switch": True, "childLock": False}

    def wire(self, value: bool) -> Any:
        """Booleans on the wire."""
        return value


class MultiSwitchPlugin(DevicePlugin):
    """Multi-channel relays driven by ``switches[]`` keyed by outlet; names from tags."""

    key = "multi_switch"
    label = "Multi-channel switch"
    # UIID → number of channels; UIIDs not listed count the outlets they report (at most 4).
    channel_counts: ClassVar[dict[int, int]] = {
        2: 2, 3: 3, 4: 4, 7: 2, 8: 3, 9: 4, 29: 2, 30: 3, 31: 4, 77: 1, 78: 1, 81: 1, 82: 2,
        83: 3, 84: 4, 107: 1, 138: 1, 160: 1, 161: 2, 162: 3, 209: 1, 210: 2, 211: 3, 212: 4,
        268: 1, 275: 2,
    }  # fmt: skip
    uiids = frozenset(channel_counts)
    card_template = "devices/cards/switch.html"
    option_names = ("power_on", "inching", "led")
    example_params: ClassVar[Params] = {
        "switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 1}],
        "configure": [{"startup": "off", "outlet": 0}, {"startup": "stay", "outlet": 1}],
    }
    example_tags: ClassVar[Params] = {"ck_channel_name": {"0": "Kitchen", "1": "Hall"}}

    def outlets(self, params: Params) -> range:
        """The outlets this device has."""
        count = self.channel_counts.get(self.uiid or -1)
        if count is None:
            reported = [o for o in outlet_states(params) if o < MAX_CHANNELS]
            count = max(reported, default=MAX_CHANNELS - 1) + 1
        return range(count)

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``switch_<n>`` bools (n from 1) and each channel's display name."""
        states = outlet_states(params)
        result: dict[str, Any] = {}
        for outlet in self.outlets(params):
            result[f"switch_{outlet + 1}"] = states.get(outlet)
            result[f"name_{outlet + 1}"] = self.channel_label(tags, outlet, params)
        result["rssi"] = _rssi(as_dict(params))
        return result

    def channel_label(self, tags: Params, outlet: int, params: Params) -> str:
        """The channel's name from tags, "Power" for one channel, else "Channel n"."""
        if len(self.outlets(params)) == 1:
            return channel_name(tags, outlet) or "Power"
        return channel_name(tags, outlet) or f"Channel {outlet + 1}"

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """One toggle per channel."""
        state = self.state(params, tags)
        return [
            with_value(
                Control(
                    f"switch_{o + 1}", "toggle", self.channel_label(tags, o, params), channel=o
                ),
                state[f"switch_{o + 1}"],
            )
            for o in self.outlets(params)
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Only the changed outlet: WiFi devices accept a partial array."""
        return {"switches": [{"switch": on_off_word(value), "outlet": control.channel}]}

    def summary(self, state: dict[str, Any]) -> str:
        """ "2 of 4 on"."""
        flags = [v for k, v in state.items() if k.startswith("switch_")]
        if len(flags) == 1:
            return on_off_label(flags[0])
        return f"{sum(1 for v in flags if v)} of {len(flags)} on"


class ZigbeeMultiSwitchPlugin(MultiSwitchPlugin):
    """Zigbee 2/3/4-gang switches: they only accept the FULL ``switches`` array (notes §3.1)."""

    key = "zigbee_multi_switch"
    label = "Zigbee multi-gang switch"
    channel_counts: ClassVar[dict[int, int]] = {2256: 2, 3256: 3, 4256: 4}
    uiids = frozenset(channel_counts)
    example_params: ClassVar[Params] = {
        "switches": [{"switch": "on", "outlet": o} for o in range(4)],
        "parentid": "a480000001",
    }
    example_tags: ClassVar[Params] = {}

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Every outlet, the changed one set and the others as last reported (unknown = off)."""
        states = outlet_states(params)
        return {
            "switches": [
                {
                    "switch": on_off_word(value if o == control.channel else bool(states.get(o))),
                    "outlet": o,
                }
                for o in self.outlets(params)
            ]
        }


def _rssi(params: dict[str, Any]) -> int | None:
    value = params.get("rssi")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
