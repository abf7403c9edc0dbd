"""The generic fallback plugin."""

from devices.plugins.generic.plugins import GenericPlugin

PLUGINS = [GenericPlugin]

__all__ = ["PLUGINS", "GenericPlugin"]
