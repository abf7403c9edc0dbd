"""Per-UIID parameter rules (notes §3.2), exercised directly and through hypothesis."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudsim.permits import missing_rights, timer_rights_needed
from cloudsim.uiids import ParamError, model_for


def fresh(uiid: int) -> tuple[object, dict]:
    model = model_for(uiid)
    return model, model.defaults()


def test_wifi_multi_switch_merges_partial_arrays_by_outlet() -> None:
    model, params = fresh(4)
    model.apply(params, {"switches": [{"switch": "on", "outlet": 2}]})
    assert [s["switch"] for s in params["switches"]] == ["off", "off", "on", "off"]
    with pytest.raises(ParamError):
        model.apply(params, {"switches": [{"switch": "on", "outlet": 4}]})
    with pytest.raises(ParamError):
        model.apply(params, {"switches": [{"switch": "on", "outlet": 1}] * 2})
    with pytest.raises(ParamError):
        model.apply(params, {"configure": [{"startup": "on", "outlet": 0}]})


@pytest.mark.parametrize("uiid", [2256, 3256, 4256])
def test_zigbee_gangs_need_the_full_array(uiid: int) -> None:
    model, params = fresh(uiid)
    with pytest.raises(ParamError):
        model.apply(params, {"switches": [{"switch": "on", "outlet": 0}]})
    full = [{"switch": "on", "outlet": i} for i in range(uiid // 1000)]
    model.apply(params, {"switches": full})
    assert all(s["switch"] == "on" for s in params["switches"])


def test_single_switch_values_and_pulse_width() -> None:
    model, params = fresh(1)
    model.apply(params, {"switch": "on", "pulse": "on", "pulseWidth": 1500})
    assert params["switch"] == "on"
    for bad in (
        {"switch": True},
        {"pulseWidth": 700},
        {"pulseWidth": 3_600_500},
        {"startup": "maybe"},
    ):
        with pytest.raises(ParamError):
            model.apply(params, bad)
    boolean, bparams = fresh(225)
    boolean.apply(bparams, {"switch": True})
    with pytest.raises(ParamError):
        boolean.apply(bparams, {"switch": "on"})


def test_timers_are_validated_and_replaced_whole() -> None:
    model, params = fresh(1)
    timer = {
        "enabled": 1,
        "mId": "c102f00f",
        "type": "once",
        "at": "2017-07-24T08:28:00.000Z",
        "do": {"switch": "on"},
        "coolkit_timer_type": "once",
    }
    loop = {
        "enabled": 0,
        "mId": "847b296e",
        "type": "duration",
        "at": "2018-11-21T10:24:00.980Z 10 5",
        "startDo": {"switch": "on"},
        "endDo": {"switch": "off"},
        "coolkit_timer_type": "duration",
    }
    model.apply(params, {"timers": [timer, loop]})
    model.apply(params, {"timers": [loop]})
    assert params["timers"] == [loop]
    for bad in (
        [timer | {"enabled": 2}],
        [timer | {"type": "weekly"}],
        [timer, timer],
        [{k: v for k, v in timer.items() if k != "do"}],
        "x",
        [loop | {"endDo": None}],
    ):
        with pytest.raises(ParamError):
            model.apply(params, {"timers": bad})


def test_power_meter_formats() -> None:
    model, params = fresh(32)
    assert isinstance(params["power"], str)
    assert "." in params["power"]
    assert isinstance(model.load_event(params, 1234)["power"], str)
    scaled, sparams = fresh(126)
    assert isinstance(sparams["actPow_00"], int)
    assert isinstance(scaled.load_event(sparams, 99)["actPow_01"], int)
    _powr3, pparams = fresh(190)
    assert isinstance(pparams["power"], int)
    assert len(pparams["switches"]) == 1
    for uiid, ui in ((32, 60), (130, {"outlet": 1, "time": 60})):
        meter, mparams = fresh(uiid)
        assert "uiActive" not in meter.apply(mparams, {"uiActive": ui})
    with pytest.raises(ParamError):
        model.apply(params, {"uiActive": 0})


def test_light_rules() -> None:
    d1, params = fresh(44)
    with pytest.raises(ParamError):
        d1.apply(params, {"brightness": 40})
    d1.apply(params, {"switch": "on", "brightness": 40, "mode": 0})
    assert params["brightness"] == 40
    b02, params = fresh(103)
    with pytest.raises(ParamError):
        b02.apply(params, {"white": {"br": 50}})
    with pytest.raises(ParamError):
        b02.apply(params, {"ltype": "read", "read": {"br": 50, "ct": 10}})
    b02.apply(params, {"switch": "on", "ltype": "read", "read": {"br": 50, "ct": 10}})
    assert params["ltype"] == "read"
    b1, params = fresh(22)
    b1.apply(params, {"channel2": "200"})
    assert params["channel2"] == "0", "a B1 ignores colour while off"
    b1.apply(params, {"state": "on", "channel2": "200"})
    assert params["channel2"] == "200"
    zig, params = fresh(3258)
    zig.apply(params, {"colorMode": "rgb", "hue": 200, "saturation": 50})
    with pytest.raises(ParamError):
        zig.apply(params, {"hue": 360})


def test_covers_use_inverted_percentages() -> None:
    q4, params = fresh(11)
    q4.apply(params, {"switch": "on"})
    assert params["setclose"] == 0
    q4.apply(params, {"setclose": 30})
    assert params["setclose"] == 30
    curtain, params = fresh(1514)
    changes = curtain.apply(params, {"openPercent": 70})
    assert params["curPercent"] == 30
    assert changes["curPercent"] == 30
    curtain.apply(params, {"curtainAction": "close"})
    assert params["curPercent"] == 100


def test_fan_trv_and_rf_bridge() -> None:
    fan, params = fresh(34)
    assert len(params["switches"]) == 4
    assert fan.load_event(params, 3)["switches"] == [
        {"switch": "on", "outlet": 1},
        {"switch": "off", "outlet": 2},
        {"switch": "on", "outlet": 3},
    ]
    trv, params = fresh(7017)
    trv.apply(params, {"workMode": "1", "ecoTargetTemp": 170})
    assert params["curTargetTemp"] == 170
    with pytest.raises(ParamError):
        trv.apply(params, {"workMode": 1})
    with pytest.raises(ParamError):
        trv.apply(params, {"childLock": "on"})
    rf, params = fresh(28)
    applied = rf.apply(params, {"cmd": "capture", "rfChl": 9})
    assert rf.followup(params, applied) is not None
    assert any(r["rfChl"] == 9 for r in params["rfList"])
    assert "cmd" not in params


outlets = st.lists(st.integers(min_value=0, max_value=3), unique=True, min_size=1, max_size=4)


@given(first=outlets, second=outlets)
def test_partial_updates_touch_only_named_outlets(first: list[int], second: list[int]) -> None:
    model, params = fresh(4)
    model.apply(params, {"switches": [{"switch": "on", "outlet": o} for o in first]})
    before = copy.deepcopy(params["switches"])
    model.apply(params, {"switches": [{"switch": "off", "outlet": o} for o in second]})
    for item, old in zip(params["switches"], before, strict=True):
        expected = "off" if item["outlet"] in second else old["switch"]
        assert item["switch"] == expected
    assert [s["outlet"] for s in params["switches"]] == [0, 1, 2, 3]


def test_energy_history_requests_follow_the_notes_encodings() -> None:
    pow_r2, params = fresh(32)
    applied = pow_r2.apply(params, {"hundredDaysKwh": "get"})
    data = pow_r2.followup(params, applied)["hundredDaysKwhData"]
    assert len(data) == 600
    assert "hundredDaysKwh" not in params, "a request is not stored as state"
    first_day = int(data[0:2], 16) + int(data[3]) * 0.1 + int(data[5]) * 0.01
    assert first_day > 0
    dual, params = fresh(126)
    report = dual.followup(params, dual.apply(params, {"getKwh_01": 2}))
    assert len(report["kwhHistories_01"]) == 8
    powr3, params = fresh(190)
    report = powr3.followup(params, powr3.apply(params, {"getHoursKwh": {"start": 0, "end": 23}}))
    assert len(report["hoursKwhData"]) == 72


def test_share_permit_bits_a_timers_change_needs() -> None:
    """`timers` is sent whole: the rights come from comparing by `mId` (1/2/4/8)."""
    a = {"mId": "a", "enabled": 1, "type": "once", "at": "x", "do": {"switch": "on"}}
    b = a | {"mId": "b"}
    assert timer_rights_needed([a], [a]) == 0
    assert timer_rights_needed(None, [a]) == 1
    assert timer_rights_needed([a], [b]) == 1 | 4  # replacing one timer: create and delete
    assert timer_rights_needed([a], [a | {"enabled": 0, "at": "y"}]) == 2 | 8
    assert timer_rights_needed([a], [a | {"enabled": 0}]) == 8
    assert timer_rights_needed([a, b], [b]) == 4
    assert missing_rights(15, [a], [b]) == []
    assert missing_rights(1, [a], [b]) == ["delete"]
