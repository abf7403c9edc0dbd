"""A device's own options, declared by its plugin: offered when reported, sent whole."""

from __future__ import annotations

import pytest

from devices.plugins.base import InvalidControl
from devices.plugins.meter.plugins import PowR2Plugin
from devices.plugins.switch.plugins import MultiSwitchPlugin, SingleSwitchPlugin

SINGLE = {"switch": "on", "startup": "off", "pulse": "on", "pulseWidth": 2500, "sledOnline": "on"}
MULTI = {
    "switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 1}],
    "configure": [{"startup": "off", "outlet": 0}, {"startup": "on", "outlet": 1}],
    "pulses": [
        {"pulse": "off", "width": 1000, "outlet": 0},
        {"pulse": "on", "width": 1500, "outlet": 1},
    ],
}


def test_a_single_relay_offers_what_it_reports_with_current_values():
    options = {c.name: c.value for c in SingleSwitchPlugin(1).options(SINGLE, {})}
    assert options == {"startup": "off", "inching": 2.5, "led": True}


def test_an_option_the_firmware_does_not_report_is_not_offered():
    names = [c.name for c in SingleSwitchPlugin(1).options({"switch": "on"}, {})]
    assert names == []


def test_single_relay_params():
    plugin = SingleSwitchPlugin(1)
    assert plugin.option_command("startup", "stay", SINGLE, {}) == {"startup": "stay"}
    assert plugin.option_command("inching", "1.5", SINGLE, {}) == {
        "pulse": "on",
        "pulseWidth": 1500,
    }
    assert plugin.option_command("inching", 0, SINGLE, {}) == {"pulse": "off"}
    assert plugin.option_command("led", "off", SINGLE, {}) == {"sledOnline": "off"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("inching", "0.7", "steps of 0.5"),
        ("inching", "4000", "between 0 and 3600"),
        ("startup", "sometimes", "must be one of"),
        ("colour", "red", "no such option"),
    ],
)
def test_bad_values_are_refused_in_words(name, value, message):
    with pytest.raises(InvalidControl, match=message):
        SingleSwitchPlugin(1).option_command(name, value, SINGLE, {})


def test_multi_channel_arrays_go_whole_with_one_outlet_changed():
    plugin = MultiSwitchPlugin(2)
    tags = {"ck_channel_name": {"0": "Lamp"}}
    labels = [c.label for c in plugin.options(MULTI, tags)]
    assert "Power-on state: Lamp" in labels
    assert "Power-on state: channel 2" in labels
    assert plugin.option_command("startup_2", "stay", MULTI, tags) == {
        "configure": [{"startup": "off", "outlet": 0}, {"startup": "stay", "outlet": 1}]
    }
    assert plugin.option_command("inching_1", "2", MULTI, tags) == {
        "pulses": [
            {"pulse": "on", "width": 2000, "outlet": 0},
            {"pulse": "on", "width": 1500, "outlet": 1},
        ]
    }


def test_a_meter_plug_offers_power_on_state_but_no_inching():
    params = {"switch": "on", "startup": "on", "pulse": "off", "power": "1.00"}
    assert [c.name for c in PowR2Plugin(32).options(params, {})] == ["startup"]
