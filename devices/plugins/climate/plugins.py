"""Temperature/humidity sensors, TH relays, the WiFi thermostat and the Zigbee TRV."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from devices.plugins.base import (
    ChartSeries,
    Control,
    DevicePlugin,
    Params,
    on_off_label,
    on_off_word,
    with_value,
)
from devices.plugins.readings import BATTERY, Reading, charted, format_value, read_all
from devices.plugins.values import as_dict, choice, on_off, to_float, to_int

TEMPERATURE = Reading("temperature", "Temperature", "°C", param="temperature")
HUMIDITY = Reading("humidity", "Humidity", "%", param="humidity")
TARGET = Reading("target", "Target", "°C", card=False)  # the card shows it as its slider


def climate_summary(state: dict[str, Any]) -> str:
    """ "21.5 °C · 48 %" from whatever of the two is known."""
    parts = [
        format_value(state[r.key], r.unit)
        for r in (TEMPERATURE, HUMIDITY)
        if state.get(r.key) is not None
    ]
    return " · ".join(parts) or "No reading"


class SensorClimatePlugin(DevicePlugin):
    """Read-only climate sensors described by a tuple of readings."""

    card_template = "devices/cards/climate.html"
    readings: ClassVar[tuple[Reading, ...]] = (TEMPERATURE, HUMIDITY)

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Scaled readings."""
        return read_all(self.readings, as_dict(params))

    def charts(self) -> list[ChartSeries]:
        """Temperature, humidity and air quality."""
        return charted(self.readings)

    def summary(self, state: dict[str, Any]) -> str:
        """ "21.5 °C · 48 %"."""
        return climate_summary(state)


class ZigbeeTHPlugin(SensorClimatePlugin):
    """SNZB-02 family: ``temperature``/``humidity`` sent x100 (string or number)."""

    key = "zigbee_th"
    label = "Temperature and humidity sensor"
    uiids = frozenset({1770, 1771, 7014})
    readings = (
        replace(TEMPERATURE, scale=0.01),
        replace(HUMIDITY, scale=0.01),
        BATTERY,
    )
    example_params: ClassVar[Params] = {
        "temperature": "2150",
        "humidity": 4800,
        "battery": 87,
        "trigTime": "1700000000000",
    }


class ZigbeeTHDisplayPlugin(SensorClimatePlugin):
    """SNZB-02D/WD/DR2: some firmwares send x100 integers, others plain degrees."""

    key = "zigbee_th_display"
    label = "Temperature and humidity sensor"
    uiids = frozenset({7033, 7038, 242})
    readings = (TEMPERATURE, HUMIDITY, BATTERY)
    example_params: ClassVar[Params] = {
        "temperature": 2215,
        "humidity": "51.5",
        "tempCorrection": 0,
        "battery": 100,
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Readings, x0.01 only when the raw value is a whole number of 100 or more."""
        params = as_dict(params)
        return {
            "temperature": _maybe_hundredths(params.get("temperature")),
            "humidity": _maybe_hundredths(params.get("humidity")),
            "battery": BATTERY.read(params),
        }


class SCPlugin(SensorClimatePlugin):
    """Sonoff SC: temperature, humidity and 1-10 levels of dust, noise and light."""

    key = "sc"
    label = "Environment sensor"
    uiids = frozenset({18})
    readings = (
        TEMPERATURE,
        HUMIDITY,
        Reading("dusty", "Dust level", "/10", param="dusty"),
        Reading("noise", "Noise level", "/10", param="noise"),
        Reading("light", "Light level", "/10", param="light"),
    )
    example_params: ClassVar[Params] = {
        "temperature": 22,
        "humidity": 40,
        "dusty": 2,
        "noise": 4,
        "light": 7,
    }


class AirSensorPlugin(SensorClimatePlugin):
    """SAWF-07P/08P air sensor: temperature, humidity, CO₂, PM10, PM2.5."""

    key = "air_sensor"
    label = "Air quality sensor"
    uiids = frozenset({266})
    readings = (
        TEMPERATURE,
        HUMIDITY,
        Reading("co2", "CO₂", "ppm", param="co2"),
        Reading("pm2_5", "PM2.5", "µg/m³", param="pm2_5"),
        Reading("pm10", "PM10", "µg/m³", param="pm10"),
    )
    example_params: ClassVar[Params] = {
        "temperature": 23.4,
        "humidity": 45,
        "co2": 612,
        "pm2_5": 8,
        "pm10": 12,
    }


class THPlugin(DevicePlugin):
    """TH10/TH16 (15): a relay plus probe readings that may be "unavailable"."""

    key = "th"
    label = "Thermostat relay"
    uiids = frozenset({15})
    card_template = "devices/cards/climate.html"
    readings: ClassVar[tuple[Reading, ...]] = (
        replace(TEMPERATURE, param="currentTemperature"),
        replace(HUMIDITY, param="currentHumidity"),
    )
    example_params: ClassVar[Params] = {
        "switch": "on",
        "mainSwitch": "on",
        "deviceType": "normal",
        "currentTemperature": "21.6",
        "currentHumidity": "unavailable",
        "sensorType": "DS18B20",
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``switch``, readings and whether the relay follows its temperature/humidity targets."""
        params = as_dict(params)
        mode = params.get("deviceType")
        return {
            "switch": on_off(params.get("switch")),
            "auto": mode in ("temperature", "humidity") if isinstance(mode, str) else None,
            **read_all(self.readings, params),
        }

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """The relay toggle."""
        return [Control("switch", "toggle", "Power", value=self.state(params, tags)["switch"])]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Manual switching also sets ``mainSwitch`` and leaves auto mode (``deviceType``)."""
        word = on_off_word(value)
        return {"switch": word, "mainSwitch": word, "deviceType": "normal"}

    def charts(self) -> list[ChartSeries]:
        """Temperature and humidity."""
        return charted(self.readings)

    def summary(self, state: dict[str, Any]) -> str:
        """ "On · 21.6 °C"."""
        return f"{on_off_label(state.get('switch'))} · {climate_summary(state)}"


class THR316Plugin(THPlugin):
    """THR316D/THR320D (181): ``switch`` plus an ``autoControlEnabled`` 0/1 flag."""

    key = "thr316"
    uiids = frozenset({181})
    example_params: ClassVar[Params] = {
        "switch": "off",
        "currentTemperature": 19.8,
        "currentHumidity": 55,
        "autoControlEnabled": 0,
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Relay, readings and the auto-control flag."""
        params = as_dict(params)
        return {
            "switch": on_off(params.get("switch")),
            "auto": on_off(params.get("autoControlEnabled")),
            **read_all(self.readings, params),
        }

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Relay toggle and auto-control toggle."""
        state = self.state(params, tags)
        return [
            Control("switch", "toggle", "Power", value=state["switch"]),
            Control("auto", "toggle", "Automatic control", value=state["auto"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``switch`` "on"/"off" or ``autoControlEnabled`` 0/1."""
        if control.name == "auto":
            return {"autoControlEnabled": int(value)}
        return {"switch": on_off_word(value)}


class ThermostatPlugin(DevicePlugin):
    """WiFi thermostat (127): on/off, target temperature and work mode."""

    key = "thermostat"
    label = "Thermostat"
    uiids = frozenset({127})
    card_template = "devices/cards/climate.html"
    readings: ClassVar[tuple[Reading, ...]] = (TEMPERATURE, TARGET)
    modes: ClassVar[tuple[tuple[str, str], ...]] = (
        ("1", "Manual"),
        ("2", "Programmed"),
        ("3", "Economical"),
    )
    example_params: ClassVar[Params] = {
        "switch": "on",
        "targetTemp": 21,
        "temperature": 19.5,
        "workMode": 1,
        "workState": 1,
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Power, current and target temperature, mode and whether it is heating now."""
        params = as_dict(params)
        mode = to_int(params.get("workMode"))
        return {
            "switch": on_off(params.get("switch")),
            "temperature": TEMPERATURE.read(params),
            "target": to_float(params.get("targetTemp")),
            "mode": str(mode) if mode is not None else None,
            "heating": on_off(params.get("workState")),
        }

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Power toggle, target slider and mode select."""
        state = self.state(params, tags)
        return [
            Control("switch", "toggle", "Power", value=state["switch"]),
            Control(
                "target", "range", "Target", None, 5, 35, 0.5, unit="°C", value=state["target"]
            ),
            Control("mode", "select", "Mode", options=self.modes, value=state["mode"]),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``switch``, ``targetTemp`` or an integer ``workMode``."""
        if control.name == "target":
            return {"targetTemp": value}
        if control.name == "mode":
            return {"workMode": int(value)}
        return {"switch": on_off_word(value)}

    def charts(self) -> list[ChartSeries]:
        """Measured and target temperature."""
        return charted(self.readings)

    def summary(self, state: dict[str, Any]) -> str:
        """ "19.5 °C → 21 °C"."""
        if state.get("switch") is False:
            return "Off"
        return thermostat_summary(state)


class TRVPlugin(ThermostatPlugin):
    """TRVZB (7017): string ``workMode``, temperatures x0.1, boolean flags."""

    key = "trv"
    label = "Radiator valve"
    uiids = frozenset({7017})
    modes = (("0", "Manual"), ("1", "Eco / off"), ("2", "Auto"))
    readings = (
        replace(TEMPERATURE, param=None),  # x0.1, computed in state()
        TARGET,
        Reading("valve", "Valve open", "%"),
        BATTERY,
    )
    # The target key the valve follows in each mode; auto follows its schedule.
    target_keys: ClassVar[dict[str, str]] = {
        "0": "manTargetTemp",
        "1": "ecoTargetTemp",
        "2": "autoTargetTemp",
    }
    example_params: ClassVar[Params] = {
        "workMode": "0",
        "manTargetTemp": 215,
        "ecoTargetTemp": 160,
        "autoTargetTemp": 200,
        "curTargetTemp": 215,
        "temperature": 198,
        "childLock": False,
        "windowSwitch": True,
        "openPercent": 40,
        "battery": 80,
    }

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Mode, temperatures in °C, valve opening, child lock and window detection."""
        params = as_dict(params)
        raw = params.get("workMode")
        # The valve sends a string; accept an integer from LAN or older firmwares too.
        mode = choice(str(raw) if type(raw) is int else raw, self.modes)
        return {
            "mode": mode,
            "temperature": to_float(params.get("temperature"), 0.1),
            "target": self._target(params, mode),
            "valve": to_float(params.get("openPercent")),
            "child_lock": _bool(params.get("childLock")),
            "window_detection": _bool(params.get("windowSwitch")),
            "battery": BATTERY.read(params),
        }

    def _target(self, params: dict[str, Any], mode: str | None) -> float | None:
        # curTargetTemp is what the valve aims at now; older firmwares only send the mode's key.
        current = to_float(params.get("curTargetTemp"), 0.1)
        if current is None and mode is not None:
            current = to_float(params.get(self.target_keys[mode]), 0.1)
        return current

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """Mode, target temperature, child lock and window detection."""
        state = self.state(params, tags)
        return [
            Control("mode", "select", "Mode", options=self.modes, value=state["mode"]),
            with_value(
                Control("target", "range", "Target", None, 4, 35, 0.5, unit="°C"), state["target"]
            ),
            Control("child_lock", "toggle", "Child lock", value=state["child_lock"]),
            Control(
                "window_detection",
                "toggle",
                "Open-window detection",
                value=state["window_detection"],
            ),
        ]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """String ``workMode``; the current mode's target x10; booleans for the flags."""
        if control.name == "mode":
            return {"workMode": value}
        if control.name == "target":
            mode = self.state(params, tags)["mode"]
            if mode == "2" or mode is None:
                # The schedule owns the auto target: a manual change switches to manual.
                return {"workMode": "0", "manTargetTemp": round(value * 10)}
            return {self.target_keys[mode]: round(value * 10)}
        return {{"child_lock": "childLock"}.get(control.name, "windowSwitch"): value}

    def summary(self, state: dict[str, Any]) -> str:
        """ "19.8 °C → 21.5 °C"."""
        return thermostat_summary(state)


def thermostat_summary(state: dict[str, Any]) -> str:
    """ "19.5 °C → 21 °C", or whichever of the two is known."""
    current, target = state.get("temperature"), state.get("target")
    if current is None and target is None:
        return "No reading"
    if target is None:
        return format_value(current, "°C")
    text = f"→ {format_value(target, '°C')}"
    return text if current is None else f"{format_value(current, '°C')} {text}"


def _maybe_hundredths(value: Any) -> float | None:
    number = to_float(value)
    if number is not None and number.is_integer() and abs(number) >= 100:
        return to_float(value, 0.01)
    return number


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else on_off(value)
