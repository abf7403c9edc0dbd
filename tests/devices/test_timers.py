"""Timers: the document's element shapes, UTC and weekday shifts, raw survivors, permits."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cloudsim.permits import timer_rights_needed as cloudsim_rights_needed
from cloudsim.uiids.base import timers as cloudsim_accepts
from devices import timers as t
from devices.plugins import registry
from devices.timers import (
    Action,
    Channels,
    CountdownTimer,
    LoopTimer,
    OnceTimer,
    RepeatTimer,
    Unreadable,
)

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
ON, OFF = Action.single(True), Action.single(False)
FOUR = Channels(names=("Kitchen", "Hall", "channel 3", ""))

# The API document's four examples, verbatim.
DOC_ONCE = {
    "enabled": 1,
    "mId": "c102f00f-db6f-fef0-f296-9dd10fdc2193",
    "type": "once",
    "at": "2017-07-24T08:28:00.000Z",
    "do": {"switch": "on"},
    "coolkit_timer_type": "once",
}
DOC_REPEAT = {
    "enabled": 1,
    "mId": "847b296e-9043-ac94-ca37-aa5f91d22338",
    "type": "repeat",
    "at": "36 8 * * 1,3",
    "do": {"switch": "on"},
    "coolkit_timer_type": "repeat",
}
DOC_LOOP = {
    "enabled": 1,
    "mId": "847b296e-9043-ac94-ca37-aa5f91d22339",
    "type": "duration",
    "at": "2018-11-21T10:24:00.980Z 10 5",
    "startDo": {"switch": "on"},
    "endDo": {"switch": "off"},
    "coolkit_timer_type": "duration",
}
DOC_COUNTDOWN = {
    "enabled": 1,
    "mId": "95303c64-fbb4-f497-1341-c592432d1d0d",
    "type": "once",
    "at": "2017-07-24T09:10:43.223Z",
    "do": {"switch": "on"},
    "period": "30",
    "coolkit_timer_type": "delay",
}
DOC_EXAMPLES = [DOC_ONCE, DOC_REPEAT, DOC_LOOP, DOC_COUNTDOWN]
ODD = {"mId": "odd-1", "enabled": 1, "type": "sunrise", "at": "+15", "do": {"switch": "on"}}

# A Wednesday in winter (CET, PST) and one in summer (CEST, PDT).
WINTER = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 16, 12, 0, tzinfo=UTC)


def at_of(timer: t.Timer, tz: ZoneInfo, now: datetime = WINTER) -> str:
    return t.to_cloud(timer, tz, now)["at"]


# --- encoding ----------------------------------------------------------------------------


def test_once_is_sent_as_the_documents_element_in_utc() -> None:
    timer = OnceTimer(datetime(2017, 7, 24, 10, 28), ON, mid=DOC_ONCE["mId"])
    now = datetime(2017, 7, 1, tzinfo=UTC)
    element = t.to_cloud(timer, BERLIN, now)
    assert element == DOC_ONCE
    assert list(element) == list(DOC_ONCE)  # the document's field order, too
    cloudsim_accepts("timers", [element])


def test_a_new_timer_gets_a_fresh_uuid4_and_an_edited_one_keeps_its_mid() -> None:
    new = t.to_cloud(OnceTimer(datetime(2030, 1, 1, 8, 0), ON), UTC_ZONE, WINTER)
    other = t.to_cloud(OnceTimer(datetime(2030, 1, 1, 8, 0), ON), UTC_ZONE, WINTER)
    assert uuid.UUID(new["mId"]).version == 4
    assert new["mId"] != other["mId"]
    kept = OnceTimer(datetime(2030, 1, 1, 8, 0), ON, mid="kept-id", enabled=False)
    assert t.to_cloud(kept, UTC_ZONE, WINTER)["mId"] == "kept-id"
    assert t.to_cloud(kept, UTC_ZONE, WINTER)["enabled"] == 0


def test_repeat_in_utc_is_the_documents_cron() -> None:
    timer = RepeatTimer(frozenset({MON, WED}), time(8, 36), ON, mid=DOC_REPEAT["mId"])
    assert t.to_cloud(timer, UTC_ZONE, WINTER) == DOC_REPEAT


@pytest.mark.parametrize(
    ("tz", "weekdays", "local", "now", "cron"),
    [
        # Local Monday morning is still Sunday in UTC: the weekday moves back.
        (TOKYO, {MON}, time(8, 0), WINTER, "0 23 * * 0"),
        (BERLIN, {MON}, time(0, 30), WINTER, "30 23 * * 0"),
        (BERLIN, {MON}, time(0, 30), SUMMER, "30 22 * * 0"),
        (BERLIN, {MON, SUN}, time(1, 15), WINTER, "15 0 * * 0,1"),
        (BERLIN, {MON, SUN}, time(1, 15), SUMMER, "15 23 * * 0,6"),
        # Local Sunday evening is already Monday in UTC: the weekday moves forward.
        (LOS_ANGELES, {SUN}, time(20, 0), SUMMER, "0 3 * * 1"),
        (LOS_ANGELES, {SUN}, time(20, 0), WINTER, "0 4 * * 1"),
        (LOS_ANGELES, {SAT, SUN}, time(17, 0), WINTER, "0 1 * * 0,1"),
        # Saturday evening → Sunday, which cron writes as 0.
        (LOS_ANGELES, {SAT}, time(18, 30), SUMMER, "30 1 * * 0"),
        # No shift when the day agrees.
        (BERLIN, {TUE, FRI}, time(12, 0), WINTER, "0 11 * * 2,5"),
    ],
)
def test_repeat_weekdays_shift_with_the_utc_day(
    tz: ZoneInfo, weekdays: set[int], local: time, now: datetime, cron: str
) -> None:
    assert at_of(RepeatTimer(frozenset(weekdays), local, ON), tz, now) == cron


def test_repeat_uses_the_offset_of_the_next_run_across_a_clock_change() -> None:
    # Saturday 29 March 2025, Berlin still on CET; the next Monday (31 March) is on CEST.
    saturday = datetime(2025, 3, 29, 12, 0, tzinfo=UTC)
    assert at_of(RepeatTimer(frozenset({MON}), time(7, 0), ON), BERLIN, saturday) == "0 5 * * 1"
    # A Saturday-afternoon timer still runs today, on CET.
    assert at_of(RepeatTimer(frozenset({SAT}), time(18, 0), ON), BERLIN, saturday) == "0 17 * * 6"


def test_repeat_on_a_multi_channel_device_sets_one_outlet() -> None:
    timer = RepeatTimer(frozenset({FRI}), time(6, 5), Action.channel(2, False))
    element = t.to_cloud(timer, UTC_ZONE, WINTER)
    assert element["do"] == {"switches": [{"switch": "off", "outlet": 2}]}
    assert element["at"] == "5 6 * * 5"
    cloudsim_accepts("timers", [element])


def test_loop_is_start_and_both_phases() -> None:
    timer = LoopTimer(datetime(2018, 11, 21, 11, 24), 10, 5, ON, OFF, mid="loop")
    element = t.to_cloud(timer, BERLIN, WINTER)
    assert element == {
        "enabled": 1,
        "mId": "loop",
        "type": "duration",
        "at": "2018-11-21T10:24:00.000Z 10 5",
        "startDo": {"switch": "on"},
        "endDo": {"switch": "off"},
        "coolkit_timer_type": "duration",
    }
    cloudsim_accepts("timers", [element])


def test_countdown_is_a_device_once_timer_due_now_plus_period() -> None:
    now = datetime(2017, 7, 24, 8, 40, 43, 223000, tzinfo=UTC)
    timer = CountdownTimer(30, ON, mid=DOC_COUNTDOWN["mId"])
    element = t.to_cloud(timer, BERLIN, now)
    assert element == DOC_COUNTDOWN
    assert (element["type"], element["coolkit_timer_type"], element["period"]) == (
        "once",
        "delay",
        "30",
    )


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        t.to_cloud(CountdownTimer(5, ON), UTC_ZONE, datetime(2025, 1, 1, 12, 0))


# --- decoding and round trips ------------------------------------------------------------


def test_documents_examples_decode_to_local_timers() -> None:
    now = datetime(2017, 7, 1, tzinfo=UTC)
    once, repeat, loop, countdown = (t.from_cloud(e, BERLIN, now) for e in DOC_EXAMPLES)
    assert once == OnceTimer(datetime(2017, 7, 24, 10, 28), ON, mid=DOC_ONCE["mId"])
    assert repeat == RepeatTimer(frozenset({MON, WED}), time(10, 36), ON, mid=DOC_REPEAT["mId"])
    assert isinstance(loop, LoopTimer)
    assert (loop.start, loop.first_minutes, loop.second_minutes) == (
        datetime(2018, 11, 21, 11, 24, 0, 980000),
        10,
        5,
    )
    assert countdown == CountdownTimer(
        30, ON, mid=DOC_COUNTDOWN["mId"], due=datetime(2017, 7, 24, 11, 10, 43, 223000)
    )


@pytest.mark.parametrize("tz", [UTC_ZONE, BERLIN, TOKYO, LOS_ANGELES])
@pytest.mark.parametrize("now", [WINTER, SUMMER])
def test_documents_examples_round_trip_byte_for_byte(tz: ZoneInfo, now: datetime) -> None:
    for element in [DOC_ONCE, DOC_REPEAT, DOC_LOOP]:
        assert t.to_cloud(t.from_cloud(element, tz, now), tz, now) == element  # type: ignore[arg-type]
    countdown = t.from_cloud(DOC_COUNTDOWN, tz, now)
    started = datetime(2017, 7, 24, 8, 40, 43, 223000, tzinfo=UTC)
    assert t.to_cloud(countdown, tz, started) == DOC_COUNTDOWN  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tz", "cron", "now", "weekdays", "local"),
    [
        (TOKYO, "0 23 * * 0", WINTER, {MON}, time(8, 0)),
        (LOS_ANGELES, "0 3 * * 1", SUMMER, {SUN}, time(20, 0)),
        (LOS_ANGELES, "0 4 * * 1", WINTER, {SUN}, time(20, 0)),
        (BERLIN, "30 23 * * 0", WINTER, {MON}, time(0, 30)),
        (BERLIN, "0 12 * * 1-5", WINTER, {MON, TUE, WED, THU, FRI}, time(13, 0)),
        (BERLIN, "0 12 * * 7", WINTER, {SUN}, time(13, 0)),
        (UTC_ZONE, "0 12 * * *", WINTER, set(range(7)), time(12, 0)),
    ],
)
def test_cron_decodes_back_to_local_weekdays(
    tz: ZoneInfo, cron: str, now: datetime, weekdays: set[int], local: time
) -> None:
    element = {**DOC_REPEAT, "at": cron}
    timer = t.from_cloud(element, tz, now)
    assert isinstance(timer, RepeatTimer)
    assert (timer.weekdays, timer.at) == (frozenset(weekdays), local)


@pytest.mark.parametrize("tz", [BERLIN, TOKYO, LOS_ANGELES])
@pytest.mark.parametrize("days", [{MON}, {SUN}, {SAT, SUN}, {MON, WED, FRI}, set(range(7))])
@pytest.mark.parametrize("local", [time(0, 15), time(8, 0), time(23, 45)])
def test_repeat_round_trips_through_the_cloud(tz: ZoneInfo, days: set[int], local: time) -> None:
    for now in (WINTER, SUMMER):
        timer = RepeatTimer(frozenset(days), local, ON, mid="m")
        assert t.from_cloud(t.to_cloud(timer, tz, now), tz, now) == timer


def test_multi_channel_actions_are_read_and_written_back() -> None:
    do = {"switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 3}]}
    element = {**DOC_ONCE, "do": do}
    timer = t.from_cloud(element, UTC_ZONE)
    assert isinstance(timer, OnceTimer)
    assert timer.action == Action(outlets=((0, True), (3, False)))
    assert t.to_cloud(timer, UTC_ZONE, WINTER) == element


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        ("not a timer", "not an object"),
        (ODD, "unknown type"),
        ({**DOC_ONCE, "coolkit_timer_type": "sunset"}, "unknown type"),
        ({**DOC_ONCE, "extra": {"x": 1}}, "unknown fields extra"),
        ({**DOC_ONCE, "enabled": True}, "enabled"),
        ({**DOC_ONCE, "mId": ""}, "no mId"),
        ({**DOC_ONCE, "at": "2017-07-24 08:28"}, "not ISO UTC"),
        ({**DOC_ONCE, "at": "2017-02-30T08:28:00.000Z"}, "not a date"),
        ({**DOC_ONCE, "do": {"switch": True}}, "not on/off"),
        ({**DOC_ONCE, "do": {"switch": "on", "pulse": "on"}}, "unknown action"),
        ({**DOC_ONCE, "do": {"switches": []}}, "unknown action"),
        ({**DOC_REPEAT, "at": "*/5 8 * * 1"}, "not 'm h * * dow'"),
        ({**DOC_REPEAT, "at": "75 8 * * 1"}, "out of range"),
        ({**DOC_REPEAT, "at": "0 8 * * 5-1"}, "backwards"),
        ({**DOC_LOOP, "at": "2018-11-21T10:24:00.980Z 10"}, "start m1 m2"),
        ({**DOC_LOOP, "at": "2018-11-21T10:24:00.980Z ten 5"}, "whole number"),
        ({**DOC_COUNTDOWN, "period": 30}, "whole number"),
    ],
)
def test_unknown_shapes_are_kept_raw_with_a_reason(element: Any, reason: str) -> None:
    read = t.from_cloud(element, BERLIN, WINTER)
    assert isinstance(read, Unreadable)
    assert read.raw is element
    assert reason in read.reason
    assert t.describe(read).startswith("Unreadable timer (")


def test_whole_array_decodes_in_order_with_raw_survivors() -> None:
    array = [DOC_ONCE, ODD, DOC_REPEAT]
    read = t.from_cloud_all(array, UTC_ZONE, WINTER)
    assert [type(r) for r in read] == [OnceTimer, Unreadable, RepeatTimer]
    assert read[1].mid == "odd-1"
    assert t.from_cloud_all(None, UTC_ZONE) == []


# --- descriptions ------------------------------------------------------------------------


def test_descriptions_read_in_the_households_zone() -> None:
    now = datetime(2017, 7, 1, tzinfo=UTC)
    repeat = t.from_cloud(DOC_REPEAT, UTC_ZONE, now)
    assert t.describe(repeat) == "Every Mon, Wed at 08:36 → on"
    once = t.from_cloud({**DOC_ONCE, "do": {"switches": [{"switch": "off", "outlet": 1}]}}, BERLIN)
    assert t.describe(once) == "Once on 24 Jul 2017 at 10:28 → channel 2 off"
    assert t.describe(once, FOUR) == "Once on 24 Jul 2017 at 10:28 → Hall off"
    loop = t.from_cloud(DOC_LOOP, BERLIN)
    assert t.describe(loop) == "Every 10 min on / 5 min off from 21 Nov 2018 at 11:24"
    countdown = t.from_cloud({**DOC_COUNTDOWN, "at": "2017-07-24T08:40:00.000Z"}, BERLIN)
    assert t.describe(countdown) == "In 30 min (at 10:40) → on"
    assert t.describe(CountdownTimer(5, OFF)) == "In 5 min → off"
    daily = RepeatTimer(frozenset(range(7)), time(7, 5), Action.channel(3, True))
    assert t.describe(daily, FOUR) == "Every day at 07:05 → channel 4 on"
    assert t.describe(t.from_cloud(ODD, UTC_ZONE)) == (
        'Unreadable timer (unknown type \'sunrise\'/\'sunrise\'): {"mId":"odd-1","enabled":1,'
        '"type":"sunrise","at":"+15","do":{"switch":"on"}}'
    )


# --- validation --------------------------------------------------------------------------


def check(timer: t.Timer, channels: Channels = t.SINGLE, tz: ZoneInfo = BERLIN) -> t.Timer:
    return t.validated(timer, channels, tz, WINTER)


@pytest.mark.parametrize(
    ("timer", "channels", "message"),
    [
        (OnceTimer(datetime(2025, 1, 15, 13, 0), ON), t.SINGLE, "is in the past"),
        (
            OnceTimer(datetime(2024, 12, 1, 9, 0), ON),
            t.SINGLE,
            "1 Dec 2024 at 09:00 is in the past",
        ),
        (OnceTimer(datetime(2025, 3, 30, 2, 30), ON), t.SINGLE, "does not exist"),
        (RepeatTimer(frozenset(), time(8, 0), ON), t.SINGLE, "at least one weekday"),
        (RepeatTimer(frozenset({7}), time(8, 0), ON), t.SINGLE, "Monday to Sunday"),
        (CountdownTimer(0, ON), t.SINGLE, "1 to 1440 minutes"),
        (CountdownTimer(1441, ON), t.SINGLE, "1 to 1440 minutes"),
        (LoopTimer(datetime(2025, 2, 1, 8, 0), 0, 5, ON, OFF), t.SINGLE, "loop phase"),
        (LoopTimer(datetime(2025, 2, 1, 8, 0), 5, 0, ON, OFF), t.SINGLE, "loop phase"),
        (
            LoopTimer(
                datetime(2025, 2, 1), 5, 5, Action.channel(0, True), Action.channel(0, False)
            ),
            FOUR,
            "Multi-channel devices do not support loop timers",
        ),
        (CountdownTimer(5, Action.channel(4, True)), FOUR, "Channel 5 does not exist"),
        (CountdownTimer(5, Action.channel(0, True)), t.SINGLE, "one switch"),
        (CountdownTimer(5, ON), FOUR, "which channel"),
        (CountdownTimer(5, Action(outlets=((1, True), (1, False)))), FOUR, "chosen twice"),
    ],
)
def test_validation_refuses_in_words(timer: t.Timer, channels: Channels, message: str) -> None:
    with pytest.raises(t.TimerError, match=message):
        check(timer, channels)


@pytest.mark.parametrize(
    "timer",
    [
        OnceTimer(datetime(2025, 1, 15, 13, 1), ON),
        RepeatTimer(frozenset({SUN}), time(0, 0), OFF),
        CountdownTimer(1, ON),
        CountdownTimer(1440, ON),
        # A loop that started in the past keeps running: that is fine.
        LoopTimer(datetime(2020, 1, 1, 8, 0), 1, 1440, ON, OFF),
    ],
)
def test_validation_accepts_edges(timer: t.Timer) -> None:
    assert check(timer) is timer


def test_a_channel_timer_validates_on_a_multi_channel_device() -> None:
    timer = CountdownTimer(5, Action.channel(3, True))
    assert check(timer, FOUR) is timer


# --- channels from the plugins -----------------------------------------------------------


def test_channels_come_from_the_plugins_controls() -> None:
    single = registry.plugin_for(1)
    assert t.channels_for(single, {"switch": "on"}, {}) == t.SINGLE
    multi = registry.plugin_for(4)
    tags = {"ck_channel_name": {"0": "Kitchen", "1": "Hall"}}
    channels = t.channels_for(multi, {"switches": []}, tags)
    assert channels == Channels(names=("Kitchen", "Hall", "Channel 3", "Channel 4"))
    assert t.channels_for(registry.plugin_for(2256), {}, {}) == Channels(
        names=("Channel 1", "Channel 2")
    )


@pytest.mark.parametrize("uiid", [22, 225, 102, 11])
def test_devices_not_switched_by_the_switch_key_get_no_timers(uiid: int) -> None:
    # 22: a bulb powered by `state`; 225: booleans; 102: a door sensor; 11: a cover.
    assert t.channels_for(registry.plugin_for(uiid), {}, {}) is None


# --- whole-array operations --------------------------------------------------------------


def test_array_operations_return_whole_new_arrays_and_keep_the_rest_untouched() -> None:
    array = [DOC_ONCE, ODD, DOC_REPEAT]
    snapshot = copy.deepcopy(array)
    new = t.to_cloud(CountdownTimer(10, ON), UTC_ZONE, WINTER)

    added = t.add(array, new)
    assert added == [*snapshot, new]
    edited = {**DOC_REPEAT, "at": "0 7 * * 1"}
    assert t.replace_timer(array, DOC_REPEAT["mId"], edited) == [DOC_ONCE, ODD, edited]
    assert t.delete(array, DOC_ONCE["mId"]) == [ODD, DOC_REPEAT]
    toggled = t.set_enabled(array, DOC_REPEAT["mId"], False)
    assert toggled == [DOC_ONCE, ODD, {**DOC_REPEAT, "enabled": 0}]
    assert list(toggled[2]) == list(DOC_REPEAT)  # key order kept
    assert array == snapshot  # the loaded array itself never changes


def test_unreadable_timers_can_be_toggled_and_deleted_by_mid() -> None:
    array = [ODD, DOC_ONCE]
    assert t.set_enabled(array, "odd-1", False) == [{**ODD, "enabled": 0}, DOC_ONCE]
    assert t.delete(array, "odd-1") == [DOC_ONCE]


def test_elements_without_mid_survive_every_operation() -> None:
    stray = {"weird": [1, 2, 3]}
    array = [stray, "text", DOC_ONCE]
    assert t.set_enabled(array, DOC_ONCE["mId"], False)[:2] == [stray, "text"]
    assert t.delete(array, DOC_ONCE["mId"]) == [stray, "text"]


def test_add_stops_at_max_timers() -> None:
    array = [{**DOC_ONCE, "mId": f"m{i}"} for i in range(t.MAX_TIMERS - 1)]
    full = t.add(array, {**DOC_ONCE, "mId": "last"})
    assert len(full) == t.MAX_TIMERS
    with pytest.raises(t.TimerError, match="at most 8 timers"):
        t.add(full, {**DOC_ONCE, "mId": "one-too-many"})


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (lambda a: t.add(a, DOC_ONCE), "already exists"),
        (lambda a: t.delete(a, "gone"), "no longer on the device"),
        (lambda a: t.set_enabled(a, "gone", True), "no longer on the device"),
        (lambda a: t.replace_timer(a, DOC_ONCE["mId"], DOC_REPEAT), "keep its id"),
        (lambda a: t.delete([*a, DOC_ONCE], DOC_ONCE["mId"]), "share this id"),
        (lambda a: t.add({"not": "a list"}, DOC_REPEAT), "not a list"),
    ],
)
def test_array_operations_refuse_in_words(operation: Any, message: str) -> None:
    with pytest.raises(t.TimerError, match=message):
        operation([DOC_ONCE])


def test_a_device_without_timers_starts_an_array() -> None:
    assert t.add(None, DOC_ONCE) == [DOC_ONCE]


# --- concurrency -------------------------------------------------------------------------


def test_fingerprint_is_stable_and_ignores_key_order() -> None:
    reordered = [dict(reversed(list(DOC_ONCE.items())))]
    assert t.fingerprint([DOC_ONCE]) == t.fingerprint(reordered)
    assert t.fingerprint(None) == t.fingerprint([])
    assert t.fingerprint([DOC_ONCE]) != t.fingerprint([{**DOC_ONCE, "enabled": 0}])
    assert t.fingerprint([DOC_ONCE, DOC_REPEAT]) != t.fingerprint([DOC_REPEAT, DOC_ONCE])


def test_a_save_is_refused_when_the_timers_changed_meanwhile() -> None:
    loaded = t.fingerprint([DOC_ONCE])
    t.check_unchanged(loaded, [dict(DOC_ONCE)])  # same content: fine
    with pytest.raises(t.TimersChanged, match="changed since you opened the editor"):
        t.check_unchanged(loaded, [DOC_ONCE, DOC_REPEAT])


# --- permits -----------------------------------------------------------------------------

OTHER = {**DOC_REPEAT, "mId": "other"}
PERMIT_CASES = [
    ([DOC_ONCE], [DOC_ONCE], 0),
    ([DOC_ONCE], [DOC_ONCE, OTHER], t.CREATE),
    ([DOC_ONCE, OTHER], [DOC_ONCE], t.DELETE),
    ([DOC_ONCE], [{**DOC_ONCE, "enabled": 0}], t.ENABLE),
    ([DOC_ONCE], [{**DOC_ONCE, "at": "2030-01-01T00:00:00.000Z"}], t.EDIT),
    ([DOC_ONCE], [{**DOC_ONCE, "enabled": 0, "do": {"switch": "off"}}], t.EDIT | t.ENABLE),
    ([DOC_ONCE, OTHER], [OTHER, DOC_ONCE], 0),  # order alone needs nothing
    ([DOC_ONCE], [OTHER], t.CREATE | t.DELETE),
    (None, [DOC_ONCE], t.CREATE),
    ([ODD], [{**ODD, "enabled": 0}], t.ENABLE),
]


@pytest.mark.parametrize(("old", "new", "needed"), PERMIT_CASES)
def test_rights_needed_agree_with_the_cloud(old: Any, new: Any, needed: int) -> None:
    assert t.rights_needed(old, new) == needed
    assert cloudsim_rights_needed(old, new) == needed


def test_allowed_lists_the_operations_a_permit_grants() -> None:
    assert t.allowed(None) == {"create", "edit", "delete", "enable"}
    assert t.allowed(15) == {"create", "edit", "delete", "enable"}
    assert t.allowed(0) == set()
    assert t.allowed(t.ENABLE | t.CREATE) == {"enable", "create"}


def test_a_forbidden_change_names_the_missing_right() -> None:
    deleted = t.delete([DOC_ONCE, OTHER], "other")
    with pytest.raises(t.PermitError, match="does not let you delete timers"):
        t.check_permit(t.CREATE | t.EDIT | t.ENABLE, [DOC_ONCE, OTHER], deleted)
    toggled = t.set_enabled([DOC_ONCE], DOC_ONCE["mId"], False)
    t.check_permit(t.ENABLE, [DOC_ONCE], toggled)
    t.check_permit(None, [DOC_ONCE], [])  # our own device: anything goes
    with pytest.raises(t.PermitError, match="create or delete"):
        t.check_permit(t.EDIT, [DOC_ONCE], [OTHER])


# --- the editor's whole flow, end to end in pure code ------------------------------------


def test_editing_a_shared_devices_timer_from_load_to_save() -> None:
    loaded = [DOC_ONCE, ODD, DOC_REPEAT]
    seen = t.fingerprint(loaded)
    read = t.from_cloud_all(loaded, BERLIN, WINTER)
    repeat = read[2]
    assert isinstance(repeat, RepeatTimer)
    later = RepeatTimer(repeat.weekdays, time(9, 0), OFF, enabled=repeat.enabled, mid=repeat.mid)
    element = t.to_cloud(t.validated(later, t.SINGLE, BERLIN, WINTER), BERLIN, WINTER)
    new = t.replace_timer(loaded, repeat.mid or "", element)

    t.check_unchanged(seen, copy.deepcopy(loaded))
    t.check_permit(t.EDIT, loaded, new)
    assert new[:2] == [DOC_ONCE, ODD]
    assert new[2]["at"] == "0 8 * * 1,3"
    cloudsim_accepts("timers", [e for e in new if e is not ODD])
    assert t.rights_needed(loaded, new) == t.EDIT


def test_a_countdown_due_time_is_now_plus_minutes() -> None:
    element = t.to_cloud(CountdownTimer(90, ON), TOKYO, SUMMER)
    due = datetime.fromisoformat(element["at"])
    assert due - SUMMER == timedelta(minutes=90)
