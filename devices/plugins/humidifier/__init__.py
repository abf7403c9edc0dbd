"""Built-in humidifier and diffuser plugins."""

from devices.plugins.humidifier.plugins import DiffuserPlugin, HumidifierPlugin

PLUGINS = [HumidifierPlugin, DiffuserPlugin]

__all__ = ["PLUGINS", "DiffuserPlugin", "HumidifierPlugin"]
