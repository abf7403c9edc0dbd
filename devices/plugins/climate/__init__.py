"""Built-in climate plugins: TH relays, sensors, thermostat, TRV."""

from devices.plugins.climate.plugins import (
    AirSensorPlugin,
    SCPlugin,
    ThermostatPlugin,
    THPlugin,
    THR316Plugin,
    TRVPlugin,
    ZigbeeTHDisplayPlugin,
    ZigbeeTHPlugin,
)

PLUGINS = [
    THPlugin,
    THR316Plugin,
    ZigbeeTHPlugin,
    ZigbeeTHDisplayPlugin,
    SCPlugin,
    AirSensorPlugin,
    ThermostatPlugin,
    TRVPlugin,
]

__all__ = [
    "PLUGINS",
    "AirSensorPlugin",
    "SCPlugin",
    "THPlugin",
    "THR316Plugin",
    "TRVPlugin",
    "ThermostatPlugin",
    "ZigbeeTHDisplayPlugin",
    "ZigbeeTHPlugin",
]
