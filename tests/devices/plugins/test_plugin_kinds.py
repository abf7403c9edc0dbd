"""The tricky per-kind rules of protocol-notes §3 and §5, with realistic payloads."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from devices.plugins import registry
from devices.plugins.base import DevicePlugin, InvalidControl


def plugin(uiid: int, params: Any = None) -> DevicePlugin:
    return registry.plugin_for(uiid, params or {})


FOUR_CH = {
    "switches": [
        {"switch": "on", "outlet": 0},
        {"switch": "off", "outlet": 1},
        {"switch": "on", "outlet": 2},
        {"switch": "off", "outlet": 3},
    ],
    "configure": [{"startup": "off", "outlet": o} for o in range(4)],
    "pulses": [{"pulse": "off", "width": 1000, "outlet": o} for o in range(4)],
    "sledOnline": "on",
}


class TestSwitches:
    def test_partial_switches_update_is_merged_by_outlet(self) -> None:
        stored = copy.deepcopy(FOUR_CH)
        merged = plugin(4).merge(stored, {"switches": [{"switch": "on", "outlet": 1}]})
        assert [s["switch"] for s in merged["switches"]] == ["on", "on", "on", "off"]
        assert stored == FOUR_CH, "merge must not mutate the stored params"
        assert merged["configure"] == FOUR_CH["configure"]

    def test_configure_and_pulses_merge_by_outlet_timers_replace(self) -> None:
        stored = {**copy.deepcopy(FOUR_CH), "timers": [{"mId": "a"}, {"mId": "b"}]}
        incoming = {
            "configure": [{"startup": "stay", "outlet": 3}],
            "pulses": [{"pulse": "on", "outlet": 0}],
            "timers": [{"mId": "c"}],
        }
        merged = plugin(4).merge(stored, incoming)
        assert [c["startup"] for c in merged["configure"]] == ["off", "off", "off", "stay"]
        assert merged["pulses"][0] == {"pulse": "on", "width": 1000, "outlet": 0}
        assert merged["timers"] == [{"mId": "c"}]

    def test_state_names_channels_from_tags(self) -> None:
        tags = {"ck_channel_name": {"0": "Kitchen", "2": "  ", "3": 42}}
        state = plugin(4).state(FOUR_CH, tags)
        assert state["switch_1"] is True
        assert state["switch_2"] is False
        assert (state["name_1"], state["name_3"], state["name_4"]) == ("Kitchen", "Channel 3", "42")
        assert [c.label for c in plugin(4).controls(FOUR_CH, tags)][:2] == ["Kitchen", "Channel 2"]

    def test_two_gang_uiid_shows_two_channels_even_if_four_are_reported(self) -> None:
        assert [c.name for c in plugin(7).controls(FOUR_CH, {})] == ["switch_1", "switch_2"]

    def test_single_outlet_switches_device_is_labelled_power(self) -> None:
        controls = plugin(77).controls({"switches": [{"switch": "on", "outlet": 0}]}, {})
        assert [(c.name, c.label, c.value) for c in controls] == [("switch_1", "Power", True)]

    def test_wifi_command_sends_only_the_changed_outlet(self) -> None:
        sent = plugin(4).command("switch_2", "on", FOUR_CH, {})
        assert sent == {"switches": [{"switch": "on", "outlet": 1}]}

    def test_quick_clicks_are_merged_by_outlet(self) -> None:
        p = plugin(4)
        first = p.command("switch_1", False, FOUR_CH, {})
        second = p.command("switch_4", True, FOUR_CH, {})
        assert p.merge_commands(first, second) == {
            "switches": [{"switch": "off", "outlet": 0}, {"switch": "on", "outlet": 3}]
        }

    def test_zigbee_multi_gang_sends_the_full_array(self) -> None:
        p = plugin(3256)
        params = {"switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 2}]}
        assert p.command("switch_2", True, params, {}) == {
            "switches": [
                {"switch": "on", "outlet": 0},
                {"switch": "on", "outlet": 1},
                {"switch": "off", "outlet": 2},
            ]
        }

    def test_zigbee_quick_clicks_keep_both_changes(self) -> None:
        p = plugin(4256)
        params = {"switches": [{"switch": "off", "outlet": o} for o in range(4)]}
        first = p.command("switch_1", True, params, {})
        second = p.command("switch_3", True, p.merge(params, first), {})
        merged = p.merge_commands(first, second)
        assert [s["switch"] for s in merged["switches"]] == ["on", "off", "on", "off"]

    def test_bool_switch_sends_booleans(self) -> None:
        p = plugin(225)
        assert p.command("switch", "off", {"switch": True}, {}) == {"switch": False}
        assert p.state({"switch": False}, {})["switch"] is False

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("on", True), ("off", False), ("ON", True), ("bogus", None), (2, None), (None, None)],
    )
    def test_switch_values(self, raw: Any, expected: bool | None) -> None:
        assert plugin(1).state({"switch": raw}, {})["switch"] is expected

    def test_summary(self) -> None:
        assert plugin(1).summary(plugin(1).state({"switch": "on"}, {})) == "On"
        assert plugin(4).summary(plugin(4).state(FOUR_CH, {})) == "2 of 4 on"


class TestMeters:
    def test_powr2_reads_cloud_strings_and_lan_numbers(self) -> None:
        p = plugin(32)
        cloud = p.state(
            {"switch": "on", "power": "68.79", "voltage": "229.71", "current": "0.34"}, {}
        )
        lan = p.state({"switch": "on", "power": 68.78, "voltage": 230, "current": 0.3}, {})
        assert (cloud["power"], cloud["voltage"], cloud["current"]) == (68.79, 229.71, 0.34)
        assert (lan["power"], lan["voltage"]) == (68.78, 230.0)
        assert p.summary(cloud) == "On · 68.79 W"

    def test_partial_power_update_keeps_the_relay_state(self) -> None:
        p = plugin(32)
        stored = {"switch": "on", "power": "10.00", "startup": "off"}
        merged = p.merge(stored, {"power": "12.50", "voltage": "230.01"})
        assert merged == {"switch": "on", "power": "12.50", "voltage": "230.01", "startup": "off"}

    def test_powr3_scales_by_a_hundredth_and_sends_oper_side(self) -> None:
        p = plugin(190)
        state = p.state(
            {"switches": [{"switch": "on", "outlet": 0}], "power": 6879, "dayKwh": 112}, {}
        )
        assert (state["power"], state["energy_day"], state["switch_1"]) == (68.79, 1.12, True)
        assert p.command("switch_1", False, {}, {}) == {
            "switches": [{"switch": "off", "outlet": 0}],
            "operSide": 1,
        }

    def test_live_requests(self) -> None:
        assert plugin(5).live_request({}) == {"uiActive": 60}
        assert plugin(190).live_request({}) == {"uiActive": 60}
        assert plugin(1).live_request({}) is None
        assert plugin(165).live_request({}) is None
        assert plugin(126).live_request({}) == {"uiActive": 60}

    def test_spm_sub_unit_asks_for_one_outlet(self) -> None:
        params = {"switches": [{"switch": "off", "outlet": 0}, {"switch": "on", "outlet": 2}]}
        assert plugin(130).live_request(params) == {"uiActive": {"outlet": 2, "time": 60}}
        assert plugin(130).live_request({}) == {"uiActive": {"outlet": 0, "time": 60}}

    def test_spm_per_channel_readings(self) -> None:
        state = plugin(130).state({"actPow_02": 12345, "voltage_02": "23001", "current_02": 54}, {})
        assert (state["power_3"], state["voltage_3"], state["current_3"]) == (123.45, 230.01, 0.54)
        assert state["power_1"] is None

    def test_dualr3_relay_mode(self) -> None:
        p = plugin(126)
        params = {"workMode": 1, "switches": [{"switch": "on", "outlet": 0}], "actPow_01": 4567}
        state = p.state(params, {})
        assert (state["mode"], state["switch_1"], state["power_2"]) == ("switch", True, 45.67)
        assert [c.name for c in p.controls(params, {})] == ["switch_1", "switch_2"]

    def test_dualr3_motor_mode_is_a_cover(self) -> None:
        p = plugin(126)
        params = {"workMode": 2, "currLocation": 30, "motorTurn": 1, "location": 80}
        state = p.state(params, {})
        assert (state["mode"], state["position"], state["motion"]) == ("cover", 30, "opening")
        assert [c.name for c in p.controls(params, {})] == ["position", "open", "stop", "close"]
        assert p.command("position", 55, params, {}) == {"location": 55}
        assert p.command("close", None, params, {}) == {"motorTurn": 2}
        assert p.command("stop", None, params, {}) == {"motorTurn": 0}
        assert p.summary(state) == "Open 30 %"
        with pytest.raises(InvalidControl):
            p.command("switch_1", True, params, {})


class TestClimate:
    def test_th_probe_unavailable_is_none(self) -> None:
        p = plugin(15)
        state = p.state(
            {"switch": "on", "currentTemperature": "unavailable", "currentHumidity": "48"}, {}
        )
        assert (state["temperature"], state["humidity"]) == (None, 48.0)
        assert p.summary(state) == "On · 48 %"

    def test_th_manual_switch_leaves_auto_mode(self) -> None:
        sent = plugin(15).command("switch", True, {"deviceType": "temperature"}, {})
        assert sent == {"switch": "on", "mainSwitch": "on", "deviceType": "normal"}

    def test_thr316_auto_flag(self) -> None:
        p = plugin(181)
        assert p.state({"autoControlEnabled": 1}, {})["auto"] is True
        assert p.command("auto", False, {}, {}) == {"autoControlEnabled": 0}

    @pytest.mark.parametrize("raw", ["2150", 2150, 2150.0])
    def test_zigbee_th_hundredths(self, raw: Any) -> None:
        state = plugin(1770).state({"temperature": raw, "humidity": "4875"}, {})
        assert (state["temperature"], state["humidity"]) == (21.5, 48.75)
        assert plugin(1770).summary(state) == "21.5 °C · 48.75 %"

    @pytest.mark.parametrize(
        ("raw", "expected"), [(2215, 22.15), ("21.5", 21.5), (19, 19.0), ("-350", -3.5)]
    )
    def test_snzb_02d_reads_both_encodings(self, raw: Any, expected: float) -> None:
        assert plugin(7033).state({"temperature": raw}, {})["temperature"] == expected

    def test_thermostat_target_range_message(self) -> None:
        with pytest.raises(InvalidControl, match=r"^Target must be between 5 and 35 °C$"):
            plugin(127).command("target", 50, {}, {})
        assert plugin(127).command("mode", "3", {}, {}) == {"workMode": 3}

    def test_trv_tenths_and_string_mode(self) -> None:
        p = plugin(7017)
        params = {"workMode": "1", "temperature": 198, "curTargetTemp": "160", "ecoTargetTemp": 160}
        state = p.state(params, {})
        assert (state["mode"], state["temperature"], state["target"]) == ("1", 19.8, 16.0)
        assert p.command("target", 17.5, params, {}) == {"ecoTargetTemp": 175}
        assert p.command("target", 21, {"workMode": "0"}, {}) == {"manTargetTemp": 210}
        assert p.command("target", 21, {"workMode": "2"}, {}) == {
            "workMode": "0",
            "manTargetTemp": 210,
        }
        assert p.command("mode", "2", params, {}) == {"workMode": "2"}
        assert p.command("child_lock", "on", params, {}) == {"childLock": True}
        assert p.command("window_detection", False, params, {}) == {"windowSwitch": False}
        assert p.command("mode", 2, params, {}) == {"workMode": "2"}  # the UI may post a number
        with pytest.raises(InvalidControl, match="Mode must be one of: 0, 1, 2"):
            p.command("mode", "3", params, {})

    def test_trv_target_falls_back_to_the_mode_key(self) -> None:
        state = plugin(7017).state({"workMode": 2, "autoTargetTemp": "205"}, {})
        assert (state["mode"], state["target"]) == ("2", 20.5)

    def test_trv_target_half_degrees(self) -> None:
        with pytest.raises(InvalidControl, match="between 4 and 35"):
            plugin(7017).command("target", 3.5, {}, {})


class TestLights:
    def test_d1_brightness_needs_switch_on_and_mode_zero(self) -> None:
        sent = plugin(44).command("brightness", 40, {"switch": "off"}, {})
        assert sent == {"switch": "on", "brightness": 40, "mode": 0}
        assert next(iter(sent)) == "switch"

    def test_brightness_limits_are_user_facing(self) -> None:
        with pytest.raises(InvalidControl, match=r"^Brightness must be between 1 and 100 %$"):
            plugin(44).command("brightness", 0, {}, {})
        with pytest.raises(InvalidControl, match="whole number"):
            plugin(44).command("brightness", 40.5, {}, {})

    def test_b02_sends_br_and_ct_together(self) -> None:
        params = {"switch": "on", "ltype": "white", "white": {"br": 60, "ct": 200}}
        p = plugin(103)
        assert p.command("brightness", 30, params, {}) == {
            "switch": "on",
            "ltype": "white",
            "white": {"br": 30, "ct": 200},
        }
        assert p.command("color_temp", 100, params, {})["white"] == {"br": 60, "ct": 255}

    def test_b02_scene_switch_needs_switch_on(self) -> None:
        sent = plugin(135).command(
            "scene", "read", {"switch": "off", "read": {"br": 80, "ct": 10}}, {}
        )
        assert sent == {"switch": "on", "ltype": "read", "read": {"br": 80, "ct": 10}}

    def test_b05_136_uses_a_0_to_100_colour_temperature(self) -> None:
        params = {"ltype": "white", "white": {"br": 50, "ct": 100}}
        assert plugin(136).state(params, {})["color_temp"] == 100
        assert plugin(104).state(params, {})["color_temp"] == 39
        assert plugin(136).command("color_temp", 50, params, {})["white"]["ct"] == 50

    def test_b05_colour(self) -> None:
        params = {"ltype": "color", "color": {"br": 80, "r": 255, "g": 0, "b": 128}}
        p = plugin(104)
        assert p.state(params, {})["color"] == "#ff0080"
        assert p.command("color", "#00FF10", params, {}) == {
            "switch": "on",
            "ltype": "color",
            "color": {"br": 80, "r": 0, "g": 255, "b": 16},
        }
        assert p.command("brightness", 20, params, {})["color"] == {
            "br": 20,
            "r": 255,
            "g": 0,
            "b": 128,
        }

    def test_b1_state_first_and_strings(self) -> None:
        params = {"state": "off", "channel0": "200", "channel1": "100"}
        p = plugin(22)
        assert p.state(params, {})["brightness"] == 78
        sent = p.command("brightness", 50, params, {})
        assert sent == {"state": "on", "zyx_mode": 1, "channel0": "128", "channel1": "64"}
        assert next(iter(sent)) == "state"
        assert p.command("color", "#102030", params, {}) == {
            "state": "on",
            "zyx_mode": 2,
            "channel2": "16",
            "channel3": "32",
            "channel4": "48",
        }

    def test_mono_bulb_keeps_strings(self) -> None:
        assert plugin(57).command("brightness", 100, {"channel0": "25"}, {}) == {
            "state": "on",
            "channel0": "255",
        }

    def test_zigbee_rgb_light(self) -> None:
        p = plugin(3258)
        params = {
            "colorMode": "cct",
            "cctBrightness": 70,
            "rgbBrightness": 20,
            "hue": 0,
            "saturation": 100,
        }
        state = p.state(params, {})
        assert (state["brightness"], state["color"]) == (70, "#ff0000")
        assert p.command("brightness", 30, params, {}) == {"switch": "on", "cctBrightness": 30}
        assert p.command("color", "#00ff00", params, {}) == {
            "switch": "on",
            "colorMode": "rgb",
            "hue": 120,
            "saturation": 100,
        }

    def test_zigbee_dimmable_has_no_colour_temperature(self) -> None:
        assert [c.name for c in plugin(1257).controls({"switch": "on"}, {})] == [
            "switch",
            "brightness",
        ]
        assert "color_temp" in [c.name for c in plugin(1258).controls({}, {})]

    def test_led_strip_effect_and_colour(self) -> None:
        p = plugin(59)
        assert p.command("mode", "12", {}, {}) == {"switch": "on", "mode": 12}
        sent = p.command("color", "#ff8800", {}, {})
        assert sent == {
            "switch": "on",
            "light_type": 1,
            "mode": 1,
            "colorR": 255,
            "colorG": 136,
            "colorB": 0,
        }


class TestCovers:
    def test_setclose_is_inverted(self) -> None:
        p = plugin(11)
        state = p.state({"setclose": 70}, {})
        assert state["position"] == 30
        assert p.summary(state) == "Open 30 %"
        assert p.command("position", 30, {}, {}) == {"setclose": 70}
        assert p.command("open", None, {}, {}) == {"switch": "on"}
        assert p.command("stop", None, {}, {}) == {"switch": "pause"}
        assert p.state({"setclose": 100}, {})["position"] == 0
        assert p.summary(p.state({"setclose": 100}, {})) == "Closed"

    def test_zigbee_cur_percent_and_open_percent_are_inverted(self) -> None:
        p = plugin(1514)
        assert p.state({"curPercent": 100}, {})["position"] == 0
        assert p.command("position", 25, {}, {}) == {"openPercent": 75}
        assert p.command("close", None, {}, {}) == {"curtainAction": "close"}

    def test_shutter_per_is_not_inverted(self) -> None:
        p = plugin(91)
        assert p.state({"per": 30, "op": 3}, {}) == {"position": 30, "motion": "closing"}
        assert p.command("position", 30, {}, {}) == {"per": 30}
        assert p.command("open", None, {}, {}) == {"op": 1}

    @pytest.mark.parametrize("raw", [-5, 101, "x", None, [50]])
    def test_out_of_range_positions_are_unknown(self, raw: Any) -> None:
        assert plugin(7034).state({"setclose": raw}, {})["position"] is None
        assert plugin(7034).summary({"position": None}) == "Unknown"


class TestFans:
    @pytest.mark.parametrize(
        ("speed", "pattern"),
        [
            ("off", ["off", "off", "off"]),
            ("low", ["on", "off", "off"]),
            ("medium", ["on", "on", "off"]),
            ("high", ["on", "off", "on"]),
        ],
    )
    def test_ifan_speed_patterns(self, speed: str, pattern: list[str]) -> None:
        p = plugin(34)
        sent = p.command("speed", speed, {}, {})
        assert sent == {"switches": [{"switch": w, "outlet": o} for o, w in enumerate(pattern, 1)]}
        assert p.state(p.merge({}, sent), {})["speed"] == speed

    def test_ifan_outlet_one_off_means_off_and_light_is_outlet_zero(self) -> None:
        p = plugin(34)
        params = {
            "switches": [
                {"switch": "on", "outlet": 0},
                {"switch": "off", "outlet": 1},
                {"switch": "on", "outlet": 2},
            ]
        }
        assert p.state(params, {}) == {"light": True, "speed": "off"}
        assert p.command("light", False, params, {}) == {
            "switches": [{"switch": "off", "outlet": 0}]
        }
        assert (
            p.state(
                {
                    "switches": [
                        {"switch": "on", "outlet": 1},
                        {"switch": "on", "outlet": 2},
                        {"switch": "on", "outlet": 3},
                    ]
                },
                {},
            )["speed"]
            is None
        )

    def test_fan_17(self) -> None:
        p = plugin(17)
        assert p.command("speed", "fast", {}, {}) == {"speed": "fast"}
        assert p.command("shake", True, {}, {}) == {"shake": "on"}
        with pytest.raises(InvalidControl, match="slow, moderate, fast"):
            p.command("speed", "turbo", {}, {})


class TestRFBridge:
    TAGS = {
        "zyx_info": [
            {"name": "Gate", "remote_type": "2", "buttonName": [{"0": "Open"}, {"1": "Close"}]},
            {"name": "PIR", "remote_type": "6", "buttonName": [{"5": "Hall"}]},
        ]
    }
    PARAMS = {"rfList": [{"rfChl": 0, "rfVal": "a"}, {"rfChl": 5, "rfVal": "b"}], "init": 1}

    def test_only_learned_non_alarm_channels_are_buttons(self) -> None:
        controls = plugin(28).controls(self.PARAMS, self.TAGS)
        assert [(c.name, c.label, c.channel) for c in controls] == [("rf_1", "Gate · Open", 0)]

    def test_transmit(self) -> None:
        assert plugin(28).command("rf_1", None, self.PARAMS, self.TAGS) == {
            "cmd": "transmit",
            "rfChl": 0,
        }
        with pytest.raises(InvalidControl):
            plugin(28).command("rf_2", None, self.PARAMS, self.TAGS)  # channel 1 not learned

    def test_incoming_trigger_names_the_button(self) -> None:
        p = plugin(28)
        merged = p.merge(self.PARAMS, {"rfTrig5": "2026-11-25T18:05:00.000Z"})
        state = p.state(merged, self.TAGS)
        assert state["last_button"] == "PIR · Hall"
        assert state["rf_6"] == "2026-11-25T18:05:00.000Z"
        assert p.summary(state) == "Last: PIR · Hall"

    def test_without_rf_list_named_channels_are_offered(self) -> None:
        assert [c.name for c in plugin(28).controls({}, self.TAGS)] == ["rf_1", "rf_2"]


class TestSensors:
    def test_dw2_does_not_trust_the_online_flag(self) -> None:
        assert plugin(102).trusts_online_flag() is False
        assert plugin(154).trusts_online_flag() is False
        assert plugin(3026).trusts_online_flag() is True

    def test_dw2_open_and_battery_volts(self) -> None:
        state = plugin(102).state({"switch": "on", "battery": "2.85"}, {})
        assert (state["detected"], state["status"], state["battery"]) == (True, "Open", 95)
        assert plugin(154).state({"battery": 80}, {})["battery"] == 80.0

    @pytest.mark.parametrize(
        ("uiid", "params", "status"),
        [
            (3026, {"lock": 1}, "Open"),
            (7003, {"lock": 0}, "Closed"),
            (2026, {"motion": 1}, "Motion"),
            (7016, {"human": 0}, "Clear"),
            (4026, {"water": 1}, "Leak!"),
            (5026, {"smoke": 0}, "Clear"),
            (5026, {"smoke": "??"}, "Unknown"),
        ],
    )
    def test_binary_sensors(self, uiid: int, params: dict, status: str) -> None:
        assert plugin(uiid).summary(plugin(uiid).state(params, {})) == status

    def test_button_press_and_trig_time(self) -> None:
        state = plugin(7000).state({"key": 2, "trigTime": "1764093600000", "battery": 50}, {})
        assert state == {
            "action": "long",
            "status": "Long press",
            "battery": 50.0,
            "triggered_at": "2025-11-25T18:00:00+00:00",
        }


class TestOthers:
    def test_water_valve_booleans_and_switch_00(self) -> None:
        p = plugin(7027)
        assert p.command("switch", True, {"switch": False}, {}) == {"switch": True}
        assert p.state({"switch_00": "on"}, {})["switch"] is True
        assert p.command("switch", False, {"switch_00": "on"}, {}) == {"switch_00": "off"}

    def test_group_switches_and_switch(self) -> None:
        group = registry.plugin_for(None, {}, item_type=3)
        assert group.command("switch", True, {"switch": "off"}, {}) == {"switch": "on"}
        multi = {"switches": [{"switch": "on", "outlet": 0}, {"switch": "on", "outlet": 1}]}
        assert group.command("switch_2", False, multi, {}) == {
            "switches": [{"switch": "off", "outlet": 1}]
        }
        assert group.summary(group.state(multi, {})) == "2 of 2 on"

    def test_group_follows_its_members(self) -> None:
        group = registry.plugin_for(None, {}, item_type=3)
        off, on = {"switch": "off"}, {"switch": "on"}
        assert group.follow_members({"switch": "off"}, [off, on]) == {"switch": "on"}  # any on
        assert group.follow_members({"switch": "on"}, [off, off]) == {"switch": "off"}
        assert group.follow_members({"switch": "on"}, []) == {"switch": "on"}  # nothing known
        assert group.follow_members({"switch": "on"}, [{"switch": "??"}]) == {"switch": "on"}
        multi = {"switches": [{"switch": "on", "outlet": 0}, {"switch": "on", "outlet": 1}]}
        members = [
            {"switches": [{"switch": "off", "outlet": 0}, {"switch": "off", "outlet": 1}]},
            {"switches": [{"switch": "off", "outlet": 0}, {"switch": "on", "outlet": 1}]},
        ]
        followed = group.follow_members(multi, members)
        assert followed["switches"] == [
            {"switch": "off", "outlet": 0},
            {"switch": "on", "outlet": 1},
        ]
        assert group.summary(group.state(followed, {})) == "1 of 2 on"

    def test_generic_lists_raw_params_read_only(self) -> None:
        p = registry.plugin_for(424242, {"mystery": "x" * 500, "answer": 42, "timers": []})
        state = p.state({"mystery": "x" * 500, "answer": 42, "timers": []}, {})
        assert state["fields"][0] == ["answer", "42"]
        assert state["fields"][1][1].endswith("…")
        assert len(state["fields"][1][1]) == 80
        assert p.controls({"switch": "on"}, {}) == []
        with pytest.raises(InvalidControl):
            p.command("switch", True, {}, {})

    def test_humidifier_and_diffuser(self) -> None:
        assert plugin(19).command("level", "3", {}, {}) == {"switch": "on", "state": 3}
        assert plugin(19).summary({"switch": True, "water_empty": True}) == "On · tank empty"
        assert plugin(25).command("color", "#ff0000", {}, {}) == {
            "lightswitch": 1,
            "lightRcolor": 255,
            "lightGcolor": 0,
            "lightBcolor": 0,
        }
