"""Built-in cover plugins (the DualR3 in motor mode lives in ``meter.dualr3``)."""

from devices.plugins.cover.plugins import SetcloseCoverPlugin, ShutterPlugin, ZigbeeCoverPlugin

PLUGINS = [SetcloseCoverPlugin, ZigbeeCoverPlugin, ShutterPlugin]

__all__ = ["PLUGINS", "SetcloseCoverPlugin", "ShutterPlugin", "ZigbeeCoverPlugin"]
