"""Built-in RF bridge plugin."""

from devices.plugins.rfbridge.plugins import RFBridgePlugin

PLUGINS = [RFBridgePlugin]

__all__ = ["PLUGINS", "RFBridgePlugin"]
