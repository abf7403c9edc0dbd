"""Built-in switch plugins; copy this package to start a new plugin."""

from devices.plugins.switch.plugins import (
    BoolSwitchPlugin,
    MultiSwitchPlugin,
    SingleSwitchPlugin,
    ZigbeeMultiSwitchPlugin,
)

PLUGINS = [SingleSwitchPlugin, BoolSwitchPlugin, MultiSwitchPlugin, ZigbeeMultiSwitchPlugin]

__all__ = [
    "PLUGINS",
    "BoolSwitchPlugin",
    "MultiSwitchPlugin",
    "SingleSwitchPlugin",
    "ZigbeeMultiSwitchPlugin",
]
