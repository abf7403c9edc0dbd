"""Registry: lookup, fallback rules, groups, entry-point discovery, validation, clashes."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from typing import Any, ClassVar

import pytest

from devices.plugins import registry
from devices.plugins.base import DevicePlugin, Params
from devices.plugins.registry import ENTRY_POINT_GROUP, PluginRegistry

DUMMY_UIID = 99001


class TakesUiidOne(DevicePlugin):
    """A third-party plugin that wants UIID 1 without asking to override."""

    key = "polite_switch"
    label = "Polite switch"
    uiids = frozenset({1, 99100})
    card_template = "devices/cards/switch.html"


class OverridesUiidOne(TakesUiidOne):
    """A third-party plugin that explicitly overrides the built-in for UIID 1."""

    key = "pushy_switch"
    overrides = True


class LacksTemplate(DevicePlugin):
    """Misses card_template."""

    key = "no_template"
    label = "No template"
    uiids = frozenset({99200})


class BadUiids(DevicePlugin):
    """Declares a UIID as a string: refused."""

    key = "bad_uiids"
    label = "Bad"
    uiids: ClassVar[Any] = frozenset({"99300"})
    card_template = "devices/cards/switch.html"
    example_params: ClassVar[Params] = {}


def fake_entry_point(name: str, target: str) -> EntryPoint:
    """An entry point of our group pointing at ``target`` ("module:attr")."""
    return EntryPoint(name=name, value=target, group=ENTRY_POINT_GROUP)


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> list[EntryPoint]:
    """Replace installed entry points with a list the test fills in."""
    found: list[EntryPoint] = []
    monkeypatch.setattr("devices.plugins.registry._entry_points", lambda: found)
    return found


class TestLookup:
    def test_known_uiid_is_a_table_lookup(self, fresh_registry: PluginRegistry) -> None:
        plugin = fresh_registry.plugin_for(4, {"switches": []})
        assert plugin.key == "multi_switch"
        assert plugin.uiid == 4

    def test_instances_are_cached_per_uiid(self, fresh_registry: PluginRegistry) -> None:
        assert fresh_registry.plugin_for(2) is fresh_registry.plugin_for(2)
        assert fresh_registry.plugin_for(2) is not fresh_registry.plugin_for(3)

    @pytest.mark.parametrize(
        ("params", "key"),
        [
            ({"switch": "on", "fwVersion": "1.0"}, "switch"),
            ({"switches": [{"switch": "on", "outlet": 0}]}, "multi_switch"),
            ({"temperature": 21}, "generic"),
            ({}, "generic"),
            (None, "generic"),
            ("garbage", "generic"),
        ],
    )
    def test_unknown_uiid_falls_back_by_params(
        self, fresh_registry: PluginRegistry, params: Any, key: str
    ) -> None:
        assert fresh_registry.plugin_for(424242, params).key == key

    @pytest.mark.parametrize("uiid", [None, "15", True, 3.0])
    def test_non_integer_uiid_uses_the_fallback(
        self, fresh_registry: PluginRegistry, uiid: Any
    ) -> None:
        assert fresh_registry.plugin_for(uiid, {"switch": "on"}).key == "switch"

    def test_fallback_multi_switch_counts_reported_outlets(
        self, fresh_registry: PluginRegistry
    ) -> None:
        params = {"switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 1}]}
        plugin = fresh_registry.plugin_for(424242, params)
        assert [c.name for c in plugin.controls(params, {})] == ["switch_1", "switch_2"]
        assert len(plugin.controls({"switches": "junk"}, {})) == 4

    def test_groups_by_item_type_and_uiid(self, fresh_registry: PluginRegistry) -> None:
        assert fresh_registry.plugin_for(1, {"switch": "on"}, item_type=3).key == "group"
        assert fresh_registry.plugin_for(5000, {"switches": []}).key == "group"

    def test_uiid_table_lists_builtins(self, fresh_registry: PluginRegistry) -> None:
        table = fresh_registry.uiid_table()
        assert table[28] == "rfbridge"
        assert table[5000] == "group"
        assert list(table) == sorted(table)


class TestDiscovery:
    def test_installed_dummy_plugin_is_found(self, fresh_registry: PluginRegistry) -> None:
        plugin = fresh_registry.plugin_for(DUMMY_UIID, {})
        assert plugin.key == "dummy_lamp"
        assert not fresh_registry.is_builtin("dummy_lamp")
        assert plugin.command("glow", True, {}, {}) == {"glow": "on"}

    def test_broken_entry_point_is_logged_and_skipped(
        self, fresh_registry: PluginRegistry, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="devices.plugins.registry"):
            assert fresh_registry.plugin_for(1).key == "switch"
        broken = [r for r in caplog.records if "'broken'" in r.getMessage()]
        assert len(broken) == 1
        assert "ModuleNotFoundError" in broken[0].getMessage()
        assert "\n" not in broken[0].getMessage()

    def test_exclude_by_entry_point_name(
        self, fresh_registry: PluginRegistry, caplog: pytest.LogCaptureFixture
    ) -> None:
        fresh_registry.configure(exclude=["dummy", "broken"])
        with caplog.at_level(logging.WARNING, logger="devices.plugins.registry"):
            assert fresh_registry.plugin_for(DUMMY_UIID, {}).key == "generic"
        assert caplog.records == []

    def test_exclude_by_plugin_key(self, fresh_registry: PluginRegistry) -> None:
        fresh_registry.configure(exclude=["dummy_lamp"])
        assert fresh_registry.plugin_for(DUMMY_UIID, {"switch": "on"}).key == "switch"

    def test_reset_reloads(self, fresh_registry: PluginRegistry, entry_points: list) -> None:
        assert fresh_registry.plugin_for(99100).key == "generic"
        entry_points.append(fake_entry_point("polite", f"{__name__}:TakesUiidOne"))
        assert fresh_registry.plugin_for(99100).key == "generic"  # still the cached table
        fresh_registry.reset()
        assert fresh_registry.plugin_for(99100).key == "polite_switch"

    def test_module_level_reset_and_configure(self) -> None:
        registry.configure(exclude=["dummy"])
        try:
            assert registry.plugin_for(DUMMY_UIID).key == "generic"
        finally:
            registry.configure(exclude=[])
        assert registry.plugin_for(DUMMY_UIID).key == "dummy_lamp"


class TestValidationAndClashes:
    def test_builtin_wins_a_clash_and_the_clash_is_logged(
        self,
        fresh_registry: PluginRegistry,
        entry_points: list,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        entry_points.append(fake_entry_point("polite", f"{__name__}:TakesUiidOne"))
        with caplog.at_level(logging.WARNING, logger="devices.plugins.registry"):
            assert fresh_registry.plugin_for(1).key == "switch"
        assert fresh_registry.plugin_for(99100).key == "polite_switch"
        assert any(
            "UIID 1" in r.getMessage() and "clashes" in r.getMessage() for r in caplog.records
        )

    def test_override_flag_takes_the_uiid(
        self,
        fresh_registry: PluginRegistry,
        entry_points: list,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        entry_points.append(fake_entry_point("pushy", f"{__name__}:OverridesUiidOne"))
        with caplog.at_level(logging.WARNING, logger="devices.plugins.registry"):
            assert fresh_registry.plugin_for(1).key == "pushy_switch"
        assert any("overrides" in r.getMessage() for r in caplog.records)
        assert fresh_registry.plugin_for(6).key == "switch"

    def test_list_entry_point_and_invalid_plugins(
        self,
        fresh_registry: PluginRegistry,
        entry_points: list,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        bundle = [LacksTemplate, BadUiids, "not a class", TakesUiidOne]
        monkeypatch.setattr(f"{__name__}.BUNDLE", bundle, raising=False)
        entry_points.append(fake_entry_point("bundle", f"{__name__}:BUNDLE"))
        with caplog.at_level(logging.WARNING, logger="devices.plugins.registry"):
            assert fresh_registry.plugin_for(99100).key == "polite_switch"
        assert fresh_registry.plugin_for(99200).key == "generic"
        assert fresh_registry.plugin_for(99300).key == "generic"
        messages = " | ".join(r.getMessage() for r in caplog.records)
        assert "missing card_template" in messages
        assert "uiids must be a frozenset of int" in messages
        assert "not a DevicePlugin subclass" in messages

    def test_duplicate_key_is_refused(
        self,
        fresh_registry: PluginRegistry,
        entry_points: list,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        entry_points.append(fake_entry_point("again", "devices.plugins.switch:SingleSwitchPlugin"))
        with caplog.at_level(logging.WARNING, logger="devices.plugins.registry"):
            fresh_registry.plugin_for(1)
        assert any("already taken" in r.getMessage() for r in caplog.records)

    def test_failing_builtin_package_is_skipped(
        self,
        fresh_registry: PluginRegistry,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        monkeypatch.setattr(
            "devices.plugins.registry.BUILTIN_PACKAGES", ("no_such_kind", "switch", "generic")
        )
        with caplog.at_level(logging.WARNING, logger="devices.plugins.registry"):
            assert fresh_registry.plugin_for(1).key == "switch"
            assert fresh_registry.plugin_for(5000, {"switch": "on"}).key == "switch"
        assert any("no_such_kind" in r.getMessage() for r in caplog.records)
