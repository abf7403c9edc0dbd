"""Built-in light plugins: dimmers, strips, B1/B02/B05 bulbs, Zigbee lights."""

from devices.plugins.light.bulbs import (
    B02Plugin,
    B05Plugin,
    ZigbeeLightPlugin,
    ZigbeeRgbLightPlugin,
)
from devices.plugins.light.plugins import (
    B1Plugin,
    CctCeilingPlugin,
    D1Plugin,
    DimmerPlugin,
    L1Plugin,
    MonoBulbPlugin,
    RgbStripPlugin,
)

PLUGINS = [
    B1Plugin,
    DimmerPlugin,
    D1Plugin,
    CctCeilingPlugin,
    MonoBulbPlugin,
    L1Plugin,
    RgbStripPlugin,
    B02Plugin,
    B05Plugin,
    ZigbeeLightPlugin,
    ZigbeeRgbLightPlugin,
]

__all__ = [
    "PLUGINS",
    "B02Plugin",
    "B05Plugin",
    "B1Plugin",
    "CctCeilingPlugin",
    "D1Plugin",
    "DimmerPlugin",
    "L1Plugin",
    "MonoBulbPlugin",
    "RgbStripPlugin",
    "ZigbeeLightPlugin",
    "ZigbeeRgbLightPlugin",
]
