"""Fixtures and helpers for the device plugin tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devices.plugins import registry
from devices.plugins.base import Control, DevicePlugin
from devices.plugins.registry import PluginRegistry


def plugin_instances() -> list[DevicePlugin]:
    """One instance per (plugin, UIID) of every plugin the default registry knows."""
    registry.reset()
    found: list[DevicePlugin] = []
    for plugin_class in registry.plugin_classes():
        uiids = sorted(plugin_class.uiids) or [None]
        found += [registry.get(plugin_class.key, uiid) for uiid in uiids]
    return found


def plugin_id(plugin: DevicePlugin) -> str:
    """Readable test ids: ``switch-1``."""
    return f"{plugin.key}-{plugin.uiid}"


def valid_value(control: Control) -> Any:
    """A value the control must accept."""
    if control.kind == "toggle":
        return not control.value
    if control.kind in ("range", "number"):
        assert control.min is not None
        assert control.max is not None
        return control.max if control.value == control.min else control.min
    if control.kind == "select":
        choices = [key for key, _label in control.options if key != control.value]
        return choices[-1]
    if control.kind == "color":
        return "#10a0ff"
    return None


def invalid_values(control: Control) -> list[Any]:
    """Values the control must refuse with InvalidControl (buttons take any value)."""
    if control.kind == "toggle":
        return ["maybe", 7, None, [True]]
    if control.kind in ("range", "number"):
        assert control.max is not None
        assert control.min is not None
        return [control.max + 1, control.min - 1, "abc", None, True, float("nan")]
    if control.kind == "select":
        return ["no-such-option", None, 3.5]
    if control.kind == "color":
        return ["red", "#12345", 0xFFFFFF, None]
    return []


@pytest.fixture
def fresh_registry() -> Iterator[PluginRegistry]:
    """A registry of its own, so configuring it cannot leak into other tests."""
    yield PluginRegistry()
    registry.reset()
