"""Built-in power-meter plugins (POW, POWR2/R3, S40, DualR3, SPM, breaker, metered strips)."""

from devices.plugins.meter.dualr3 import DualR3Plugin
from devices.plugins.meter.plugins import (
    BreakerPlugin,
    MeteredStripPlugin,
    PowPlugin,
    PowR2Plugin,
    PowR3Plugin,
    S40Plugin,
    SpmSubUnitPlugin,
)

PLUGINS = [
    PowPlugin,
    PowR2Plugin,
    S40Plugin,
    PowR3Plugin,
    BreakerPlugin,
    MeteredStripPlugin,
    SpmSubUnitPlugin,
    DualR3Plugin,
]

__all__ = [
    "PLUGINS",
    "BreakerPlugin",
    "DualR3Plugin",
    "MeteredStripPlugin",
    "PowPlugin",
    "PowR2Plugin",
    "PowR3Plugin",
    "S40Plugin",
    "SpmSubUnitPlugin",
]
