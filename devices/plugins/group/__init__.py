"""The device-group plugin."""

from devices.plugins.group.plugins import GroupPlugin

PLUGINS = [GroupPlugin]

__all__ = ["PLUGINS", "GroupPlugin"]
