"""Device plugins: turn a thing's raw cloud params into state, controls and cards.

Import the API from here; resolve plugins through ``devices.plugins.registry``.
"""

from devices.plugins.base import ChartSeries, Control, DevicePlugin, InvalidControl, Params

__all__ = ["ChartSeries", "Control", "DevicePlugin", "InvalidControl", "Params"]
