"""Built-in fan plugins."""

from devices.plugins.fan.plugins import FanPlugin, IFanPlugin

PLUGINS = [IFanPlugin, FanPlugin]

__all__ = ["PLUGINS", "FanPlugin", "IFanPlugin"]
