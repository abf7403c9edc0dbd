"""The one place that resolves a thing to its plugin: a UIID lookup, never an if/elif chain.

Built-ins are the ``PLUGINS`` lists of the packages in ``BUILTIN_PACKAGES``; third-party plugins
arrive through the ``ewelink_dashboard.plugins`` entry-point group (each entry point loads a
``DevicePlugin`` subclass or a list of them). Loading is lazy (first lookup), validated (a plugin
that fails to import or lacks required attributes is logged once and skipped) and resettable.

Usage::

    from devices.plugins import registry
    plugin = registry.plugin_for(uiid, params, item_type=item_type)
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from devices.plugins.base import DevicePlugin
from devices.plugins.generic import GenericPlugin
from devices.plugins.values import as_dict

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ewelink_dashboard.plugins"
BUILTIN_PACKAGES = (
    "switch",
    "meter",
    "climate",
    "light",
    "cover",
    "fan",
    "rfbridge",
    "sensor",
    "valve",
    "humidifier",
    "group",
    "generic",
)
GROUP_ITEM_TYPE = 3  # thing-list itemType of a device group
GROUP_UIID = 5000
# Plugin keys the fallback of notes §3.1 resolves to.
FALLBACK_SINGLE = "switch"
FALLBACK_MULTI = "multi_switch"
FALLBACK_GROUP = "group"
FALLBACK_GENERIC = "generic"


class PluginRegistry:
    """UIID → plugin class table, filled lazily from built-ins and entry points."""

    def __init__(self) -> None:
        self._exclude: frozenset[str] = frozenset()
        # Web threads may race for the first lookup; only one of them loads.
        self._lock = threading.Lock()
        self.reset()

    def configure(self, exclude: Iterable[str] = ()) -> None:
        """Set entry-point names or plugin keys to ignore, and reload on next lookup."""
        self._exclude = frozenset(exclude)
        self.reset()

    def reset(self) -> None:
        """Forget everything loaded; the next lookup loads again (for tests)."""
        self._loaded = False
        self._by_uiid: dict[int, type[DevicePlugin]] = {}
        self._by_key: dict[str, type[DevicePlugin]] = {}
        self._builtin_keys: set[str] = set()
        self._instances: dict[tuple[str, int | None], DevicePlugin] = {}

    def plugin_for(
        self, uiid: Any, params: Any = None, *, item_type: int | None = None
    ) -> DevicePlugin:
        """The plugin for a thing: groups, then the UIID table, then the fallback rules."""
        self._ensure_loaded()
        number = uiid if isinstance(uiid, int) and not isinstance(uiid, bool) else None
        plugin_class = None
        if item_type == GROUP_ITEM_TYPE:
            plugin_class = self._by_key.get(FALLBACK_GROUP)
        if plugin_class is None and number is not None:
            plugin_class = self._by_uiid.get(number)
        if plugin_class is None:
            # GenericPlugin is imported eagerly so that a last resort always exists.
            plugin_class = self._by_key.get(self._fallback_key(params), GenericPlugin)
        return self._instance(plugin_class, number)

    def get(self, key: str, uiid: int | None = None) -> DevicePlugin:
        """The plugin registered under ``key`` (KeyError if none)."""
        self._ensure_loaded()
        return self._instance(self._by_key[key], uiid)

    def plugin_classes(self) -> list[type[DevicePlugin]]:
        """Every loaded plugin class, built-ins first."""
        self._ensure_loaded()
        return list(self._by_key.values())

    def uiid_table(self) -> dict[int, str]:
        """UIID → plugin key, for docs and admin pages."""
        self._ensure_loaded()
        return {uiid: cls.key for uiid, cls in sorted(self._by_uiid.items())}

    def is_builtin(self, key: str) -> bool:
        """Whether ``key`` belongs to a built-in plugin."""
        self._ensure_loaded()
        return key in self._builtin_keys

    def _fallback_key(self, params: Any) -> str:
        params = as_dict(params)
        if "switch" in params:
            return FALLBACK_SINGLE
        if "switches" in params:
            return FALLBACK_MULTI
        return FALLBACK_GENERIC

    def _instance(self, plugin_class: type[DevicePlugin], uiid: int | None) -> DevicePlugin:
        cache_key = (plugin_class.key, uiid)
        plugin = self._instances.get(cache_key)
        if plugin is None:
            plugin = self._instances[cache_key] = plugin_class(uiid)
        return plugin

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            for name in BUILTIN_PACKAGES:
                self._load_builtin(name)
            self._builtin_keys = set(self._by_key)
            for entry_point in _entry_points():
                if entry_point.name not in self._exclude:
                    self._load_entry_point(entry_point)
            self._group_uiid()
            self._loaded = True  # last, so no reader sees a half-filled table

    def _load_builtin(self, name: str) -> None:
        try:
            module = importlib.import_module(f"devices.plugins.{name}")
        except Exception as error:
            logger.warning(
                "Built-in device plugin package %r skipped: %s: %s",
                name,
                type(error).__name__,
                error,
            )
            return
        for candidate in getattr(module, "PLUGINS", []):
            self._add(candidate, source=f"devices.plugins.{name}", builtin=True)

    def _load_entry_point(self, entry_point: EntryPoint) -> None:
        try:
            loaded = entry_point.load()
        except Exception as error:
            logger.warning(
                "Device plugin entry point %r skipped: %s: %s",
                entry_point.name,
                type(error).__name__,
                error,
            )
            return
        for candidate in loaded if isinstance(loaded, list | tuple) else [loaded]:
            self._add(candidate, source=f"entry point {entry_point.name!r}", builtin=False)

    def _add(self, candidate: Any, *, source: str, builtin: bool) -> None:
        problem = _problem(candidate)
        if problem is None and candidate.key in self._exclude:
            return
        if problem is None and candidate.key in self._by_key:
            problem = f"key {candidate.key!r} is already taken"
        if problem:
            logger.warning("Device plugin %r from %s skipped: %s", candidate, source, problem)
            return
        self._by_key[candidate.key] = candidate
        for uiid in sorted(candidate.uiids):
            holder = self._by_uiid.get(uiid)
            if holder is not None and not self._may_replace(holder, candidate, builtin):
                logger.warning(
                    "UIID %s: plugin %r from %s clashes with %r, which keeps it",
                    uiid,
                    candidate.key,
                    source,
                    holder.key,
                )
                continue
            if holder is not None:
                logger.warning("UIID %s: plugin %r overrides %r", uiid, candidate.key, holder.key)
            self._by_uiid[uiid] = candidate

    def _may_replace(
        self, holder: type[DevicePlugin], candidate: type[DevicePlugin], builtin: bool
    ) -> bool:
        # Built-ins never replace each other; a third-party plugin must ask with overrides.
        return not builtin and holder.key in self._builtin_keys and candidate.overrides

    def _group_uiid(self) -> None:
        group = self._by_key.get(FALLBACK_GROUP)
        if group is not None:
            self._by_uiid.setdefault(GROUP_UIID, group)


def _problem(candidate: Any) -> str | None:
    """Why ``candidate`` cannot be registered, or None if it is a valid plugin class."""
    if not isinstance(candidate, type) or not issubclass(candidate, DevicePlugin):
        return "not a DevicePlugin subclass"
    missing = [name for name in DevicePlugin.REQUIRED_ATTRIBUTES if not hasattr(candidate, name)]
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(candidate.key, str) or not candidate.key.isidentifier():
        return "key must be an identifier"
    uiids = candidate.uiids
    if not isinstance(uiids, frozenset) or not all(
        isinstance(u, int) and not isinstance(u, bool) for u in uiids
    ):
        return "uiids must be a frozenset of int"
    if not isinstance(candidate.card_template, str) or not candidate.card_template:
        return "card_template must be a template name"
    return None


def _entry_points() -> list[EntryPoint]:
    """Installed entry points of our group (a seam for tests)."""
    return list(entry_points(group=ENTRY_POINT_GROUP))


default_registry = PluginRegistry()
plugin_for = default_registry.plugin_for
get = default_registry.get
plugin_classes = default_registry.plugin_classes
uiid_table = default_registry.uiid_table
is_builtin = default_registry.is_builtin
configure = default_registry.configure
reset = default_registry.reset
