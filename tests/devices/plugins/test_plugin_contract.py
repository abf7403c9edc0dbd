"""Hassfest in miniature: every registered plugin honours the plugin contract."""

from __future__ import annotations

import json

import pytest
from django.template.loader import get_template

from devices.plugins import registry
from devices.plugins.base import ChartSeries, Control, DevicePlugin, InvalidControl
from devices.plugins.registry import BUILTIN_PACKAGES
from tests.devices.plugins.conftest import invalid_values, plugin_id, plugin_instances, valid_value

PLUGINS = plugin_instances()

# Every UIID of protocol-notes §3.2 the brief asks to cover, with the plugin expected for it.
CATALOGUE = {
    1: "switch", 2: "multi_switch", 3: "multi_switch", 4: "multi_switch", 5: "pow", 6: "switch",
    7: "multi_switch", 8: "multi_switch", 9: "multi_switch", 11: "cover", 14: "switch",
    15: "th", 17: "fan", 18: "sc", 19: "humidifier", 22: "b1", 25: "diffuser", 28: "rfbridge",
    32: "pow_r2", 33: "rgb_strip", 34: "ifan", 36: "dimmer", 44: "d1", 52: "cct_ceiling",
    57: "mono_bulb", 59: "led_strip", 67: "shutter", 77: "multi_switch", 91: "shutter",
    102: "wifi_door", 103: "b02", 104: "b05", 126: "dualr3", 127: "thermostat",
    130: "spm_sub_unit", 135: "b02", 136: "b05", 154: "wifi_door", 165: "dualr3",
    173: "led_strip", 181: "thr316", 182: "s40", 190: "pow_r3", 225: "bool_switch",
    226: "breaker", 242: "zigbee_th_display", 258: "cover", 262: "metered_strip",
    266: "air_sensor", 276: "metered_strip", 1000: "button", 1009: "switch", 1256: "switch",
    1257: "zigbee_light", 1258: "zigbee_light", 1514: "zigbee_cover", 1770: "zigbee_th",
    2026: "motion", 2256: "zigbee_multi_switch", 3026: "zigbee_door", 3256: "zigbee_multi_switch",
    3258: "zigbee_rgb_light", 4026: "leak", 4256: "zigbee_multi_switch", 5000: "group",
    5026: "smoke", 7000: "button", 7002: "motion", 7003: "zigbee_door", 7004: "switch",
    7006: "zigbee_cover", 7009: "zigbee_rgb_light", 7014: "zigbee_th", 7016: "motion",
    7017: "trv", 7019: "leak", 7027: "water_valve", 7033: "zigbee_th_display", 7034: "cover",
    7038: "zigbee_th_display", 7039: "button", 7047: "water_valve", 7055: "motion",
}  # fmt: skip


@pytest.mark.parametrize("plugin", PLUGINS, ids=plugin_id)
class TestEveryPlugin:
    def test_declares_required_attributes(self, plugin: DevicePlugin) -> None:
        for name in ("key", "label", "card_template"):
            assert getattr(plugin, name), name
        # Only the fallback is reached by rule rather than by UIID.
        assert plugin.uiids or plugin.key == "generic"
        assert plugin.key.isidentifier()
        assert isinstance(plugin.uiids, frozenset)
        assert type(plugin).__doc__, "plugins document themselves in one line"

    def test_card_template_exists(self, plugin: DevicePlugin) -> None:
        assert get_template(plugin.card_template) is not None

    def test_example_state_is_json_and_not_empty(self, plugin: DevicePlugin) -> None:
        state = plugin.state(plugin.example_params, plugin.example_tags)
        assert json.loads(json.dumps(state, allow_nan=False)) == state
        assert any(value is not None for value in state.values()), state
        assert isinstance(plugin.summary(state), str)
        assert plugin.summary(state)

    def test_empty_params_do_not_break_anything(self, plugin: DevicePlugin) -> None:
        state = plugin.state({}, {})
        json.dumps(state, allow_nan=False)
        assert isinstance(plugin.summary(state), str)
        assert all(isinstance(c, Control) for c in plugin.controls({}, {}))

    def test_controls_carry_their_state_value(self, plugin: DevicePlugin) -> None:
        params, tags = plugin.example_params, plugin.example_tags
        state = plugin.state(params, tags)
        for control in plugin.controls(params, tags):
            if control.kind != "button":
                assert control.name in state, control.name
                assert control.value == state[control.name], control.name

    def test_every_control_builds_params_that_merge_back(self, plugin: DevicePlugin) -> None:
        params, tags = plugin.example_params, plugin.example_tags
        for control in plugin.controls(params, tags):
            value = valid_value(control)
            sent = plugin.command(control.name, value, params, tags)
            assert isinstance(sent, dict)
            assert sent, control.name
            json.dumps(sent, allow_nan=False)
            merged = plugin.merge(params, sent)
            assert merged is not params
            state = plugin.state(merged, tags)
            json.dumps(state, allow_nan=False)
            if control.kind in ("toggle", "select"):
                assert state[control.name] == value, (control.name, sent, state)
            assert plugin.merge_commands(sent, sent) == sent

    def test_invalid_values_are_refused(self, plugin: DevicePlugin) -> None:
        params, tags = plugin.example_params, plugin.example_tags
        for control in plugin.controls(params, tags):
            for bad in invalid_values(control):
                with pytest.raises(InvalidControl) as caught:
                    plugin.command(control.name, bad, params, tags)
                assert control.label in str(caught.value)
        with pytest.raises(InvalidControl, match="Unknown control"):
            plugin.command("no_such_control", True, params, tags)

    def test_charts_name_state_keys(self, plugin: DevicePlugin) -> None:
        state = plugin.state(plugin.example_params, plugin.example_tags)
        for series in plugin.charts():
            assert isinstance(series, ChartSeries)
            assert series.key in state, series.key
            assert series.unit

    def test_live_request_and_online_flag(self, plugin: DevicePlugin) -> None:
        request = plugin.live_request(plugin.example_params)
        assert request is None or "uiActive" in request
        assert isinstance(plugin.trusts_online_flag(), bool)


def test_builtin_uiids_are_disjoint() -> None:
    seen: dict[int, str] = {}
    for plugin_class in registry.plugin_classes():
        if not registry.is_builtin(plugin_class.key):
            continue
        for uiid in plugin_class.uiids:
            assert uiid not in seen, f"UIID {uiid}: {seen.get(uiid)} and {plugin_class.key}"
            seen[uiid] = plugin_class.key
    assert len(seen) > 80


def test_every_builtin_package_loads() -> None:
    modules = {
        cls.__module__.split(".")[2]
        for cls in registry.plugin_classes()
        if cls.__module__.startswith("devices.plugins.")
    }
    assert set(BUILTIN_PACKAGES) <= modules


@pytest.mark.parametrize(("uiid", "key"), sorted(CATALOGUE.items()))
def test_catalogue_uiid_resolves_to_its_plugin(uiid: int, key: str) -> None:
    plugin = registry.plugin_for(uiid, {})
    assert plugin.key == key
    assert plugin.uiid == uiid
