"""Built-in water valve plugin."""

from devices.plugins.valve.plugins import WaterValvePlugin

PLUGINS = [WaterValvePlugin]

__all__ = ["PLUGINS", "WaterValvePlugin"]
