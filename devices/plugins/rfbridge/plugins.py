"""RF Bridge 433 (28): learned remote buttons to press, and the last button heard."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import Control, DevicePlugin, Params
from devices.plugins.values import as_dict, as_list, text, to_int

MAX_CHANNELS = 64
ALARM_REMOTE_TYPE = 6  # alarm sensors, not buttons: shown as events, never "pressed"
TRIGGER_PREFIX = "rfTrig"


class RFBridgePlugin(DevicePlugin):
    """Buttons come from ``tags.zyx_info``; only channels in ``params.rfList`` are learned."""

    key = "rfbridge"
    label = "RF bridge"
    uiids = frozenset({28})
    card_template = "devices/cards/rfbridge.html"
    example_params: ClassVar[Params] = {
        "rfList": [{"rfChl": 0, "rfVal": "xxx"}, {"rfChl": 1, "rfVal": "yyy"}, {"rfChl": 2}],
        "rfTrig0": "2026-11-25T18:00:00.000Z",
        "rfTrig2": "2026-11-25T18:05:00.000Z",
    }
    example_tags: ClassVar[Params] = {
        "zyx_info": [
            {"name": "Garage", "remote_type": "2", "buttonName": [{"0": "Up"}, {"1": "Down"}]},
            {"name": "Hall PIR", "remote_type": "6", "buttonName": [{"2": "Motion"}]},
        ]
    }

    def buttons(self, params: Params, tags: Params) -> dict[int, tuple[str, bool]]:
        """``{rfChl: (label, is_alarm)}`` for learned channels, in channel order."""
        named = _names(tags)
        learned = {
            channel
            for item in as_list(as_dict(params).get("rfList"))
            if (channel := to_int(as_dict(item).get("rfChl"))) is not None
            and 0 <= channel < MAX_CHANNELS
        }
        channels = learned if "rfList" in as_dict(params) else set(named)
        return {
            channel: named.get(channel, (f"Button {channel + 1}", False))
            for channel in sorted(channels)
        }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Last trigger time per button (``rf_<n>``) and the most recent one overall."""
        params = as_dict(params)
        triggers = _triggers(params)
        labels = self.buttons(params, tags)
        result: dict[str, Any] = {f"rf_{ch + 1}": triggers.get(ch) for ch in labels}
        latest = max(triggers, key=lambda ch: triggers[ch], default=None)
        result["last_button"] = labels.get(latest, (None, False))[0] if latest is not None else None
        result["last_trigger"] = triggers.get(latest) if latest is not None else None
        return result

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """One button per learned, non-alarm channel."""
        return [
            Control(f"rf_{channel + 1}", "button", label, channel=channel)
            for channel, (label, alarm) in self.buttons(params, tags).items()
            if not alarm
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``{"cmd": "transmit", "rfChl": N}``."""
        return {"cmd": "transmit", "rfChl": control.channel}

    def summary(self, state: dict[str, Any]) -> str:
        """ "Last: Garage · Up"."""
        return f"Last: {state['last_button']}" if state.get("last_button") else "No button heard"


def _names(tags: Params) -> dict[int, tuple[str, bool]]:
    names: dict[int, tuple[str, bool]] = {}
    for remote in as_list(as_dict(tags).get("zyx_info")):
        remote = as_dict(remote)
        alarm = to_int(remote.get("remote_type")) == ALARM_REMOTE_TYPE
        remote_name = text(remote.get("name"), 40)
        for button in as_list(remote.get("buttonName")):
            for key, name in as_dict(button).items():
                channel = to_int(key)
                if channel is None or not 0 <= channel < MAX_CHANNELS:
                    continue
                label = text(name, 40) or f"Button {channel + 1}"
                names[channel] = (f"{remote_name} · {label}" if remote_name else label, alarm)
    return names


def _triggers(params: dict[str, Any]) -> dict[int, str]:
    found: dict[int, str] = {}
    for key, value in params.items():
        if key.startswith(TRIGGER_PREFIX) and isinstance(value, str | int):
            channel = to_int(key[len(TRIGGER_PREFIX) :])
            if channel is not None and 0 <= channel < MAX_CHANNELS:
                found[channel] = str(value)[:40]
    return found
