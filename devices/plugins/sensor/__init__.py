"""Built-in event sensor plugins."""

from devices.plugins.sensor.plugins import (
    ButtonPlugin,
    LeakPlugin,
    MotionPlugin,
    SmokePlugin,
    WifiDoorPlugin,
    ZigbeeDoorPlugin,
)

PLUGINS = [WifiDoorPlugin, ZigbeeDoorPlugin, MotionPlugin, LeakPlugin, SmokePlugin, ButtonPlugin]

__all__ = [
    "PLUGINS",
    "ButtonPlugin",
    "LeakPlugin",
    "MotionPlugin",
    "SmokePlugin",
    "WifiDoorPlugin",
    "ZigbeeDoorPlugin",
]
