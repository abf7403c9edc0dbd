"""Battery sensors that report an event: door, motion, water leak, smoke, buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from devices.plugins.base import DevicePlugin, Params
from devices.plugins.readings import BATTERY, Reading
from devices.plugins.values import as_dict, on_off, to_float, to_int

BUTTON_ACTIONS = {0: "single", 1: "double", 2: "long"}
BUTTON_LABELS = {"single": "Single press", "double": "Double press", "long": "Long press"}
ILLUMINATION = Reading("illumination", "Light", "lx", param="illumination")


class BinarySensorPlugin(DevicePlugin):
    """A yes/no sensor: ``param`` truthy means "detected" (open, motion, leak, smoke)."""

    card_template = "devices/cards/sensor.html"
    readings: ClassVar[tuple[Reading, ...]] = (BATTERY,)
    param: ClassVar[str]
    detected_text: ClassVar[str]
    clear_text: ClassVar[str]

    def detected(self, params: dict[str, Any]) -> bool | None:
        """Whether the sensor currently detects its thing."""
        return on_off(params.get(self.param))

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``detected``, its wording in ``status``, ``battery`` and the last event time."""
        params = as_dict(params)
        detected = self.detected(params)
        return {
            "detected": detected,
            "status": self.status_text(detected),
            "battery": self.battery(params),
            "triggered_at": _time(params.get("trigTime")),
        }

    def status_text(self, detected: bool | None) -> str:
        """ "Open" / "Closed" / "Unknown"."""
        if detected is None:
            return "Unknown"
        return self.detected_text if detected else self.clear_text

    def battery(self, params: dict[str, Any]) -> float | None:
        """Battery in percent."""
        return to_float(params.get("battery"))

    def summary(self, state: dict[str, Any]) -> str:
        """The status word."""
        return str(state.get("status") or "Unknown")


class WifiDoorPlugin(BinarySensorPlugin):
    """DW2 WiFi door sensors (102, 154): ``switch`` on = open; their online flag lies."""

    key = "wifi_door"
    label = "Door sensor"
    uiids = frozenset({102, 154})
    param = "switch"
    detected_text = "Open"
    clear_text = "Closed"
    example_params: ClassVar[Params] = {"switch": "off", "battery": "2.9", "type": 4}

    def battery(self, params: dict[str, Any]) -> float | None:
        """102 reports volts (0-3, as a string); shown as a rough percentage of 3 V."""
        value = to_float(params.get("battery"))
        if self.uiid == 102 and value is not None and value <= 3.3:
            return round(min(value / 3, 1) * 100)
        return value

    def trusts_online_flag(self) -> bool:
        """No: DW2 flaps between online and offline (notes §4 #14)."""
        return False


class ZigbeeDoorPlugin(BinarySensorPlugin):
    """SNZB-04 door sensors (3026, 7003): ``lock`` 1 = open."""

    key = "zigbee_door"
    label = "Door sensor"
    uiids = frozenset({3026, 7003})
    param = "lock"
    detected_text = "Open"
    clear_text = "Closed"
    example_params: ClassVar[Params] = {"lock": 1, "battery": 95, "trigTime": "1764093000000"}


class MotionPlugin(BinarySensorPlugin):
    """SNZB-03 (2026, 7002) ``motion`` and presence sensors (7016, 7055) ``human``."""

    key = "motion"
    label = "Motion sensor"
    uiids = frozenset({2026, 7002, 7016, 7055})
    readings = (BATTERY, ILLUMINATION)
    param = "motion"
    detected_text = "Motion"
    clear_text = "Clear"
    example_params: ClassVar[Params] = {"motion": 0, "battery": 100, "brState": "darker"}

    def detected(self, params: dict[str, Any]) -> bool | None:
        """``motion`` or, on presence sensors, ``human``."""
        key = self.param if self.param in params else "human"
        return on_off(params.get(key))

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Adds illumination (lux) and the brighter/darker hint."""
        params = as_dict(params)
        hint = params.get("brState")
        return {
            **super().state(params, tags),
            "illumination": ILLUMINATION.read(params),
            "light": hint if isinstance(hint, str) and len(hint) < 20 else None,
        }


class LeakPlugin(BinarySensorPlugin):
    """Water leak sensors (4026, 7019): ``water`` 1 = leak."""

    key = "leak"
    label = "Leak sensor"
    uiids = frozenset({4026, 7019})
    param = "water"
    detected_text = "Leak!"
    clear_text = "Dry"
    example_params: ClassVar[Params] = {"water": 0, "battery": 80}


class SmokePlugin(BinarySensorPlugin):
    """Zigbee smoke detector (5026): ``smoke`` 1 = smoke."""

    key = "smoke"
    label = "Smoke detector"
    uiids = frozenset({5026})
    param = "smoke"
    detected_text = "Smoke!"
    clear_text = "Clear"
    example_params: ClassVar[Params] = {"smoke": 0, "battery": 100}


class ButtonPlugin(DevicePlugin):
    """Zigbee buttons (1000, 7000, 7039): ``key`` 0/1/2 = single/double/long at ``trigTime``."""

    key = "button"
    label = "Button"
    uiids = frozenset({1000, 7000, 7039})
    card_template = "devices/cards/sensor.html"
    readings: ClassVar[tuple[Reading, ...]] = (BATTERY,)
    example_params: ClassVar[Params] = {"key": 1, "battery": 70, "trigTime": "1764093000000"}

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """The last ``action`` (single/double/long), its wording and time, and the battery."""
        params = as_dict(params)
        action = BUTTON_ACTIONS.get(to_int(params.get("key")) or -1) if "key" in params else None
        return {
            "action": action,
            "status": BUTTON_LABELS.get(action or "", "No press yet"),
            "battery": to_float(params.get("battery")),
            "triggered_at": _time(params.get("trigTime")),
        }

    def summary(self, state: dict[str, Any]) -> str:
        """ "Double press"."""
        return str(state.get("status") or "")


def _time(value: Any) -> str | None:
    """A 13-digit ms timestamp (string or number) → ISO 8601 UTC; None if unreadable."""
    millis = to_int(value)
    if millis is None or not 0 < millis < 10**14:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC).isoformat(timespec="seconds")
