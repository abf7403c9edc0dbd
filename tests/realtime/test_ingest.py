"""The hot path's rules, on plain objects: merge, change detection, online quirks, coalescing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from devices.plugins.registry import default_registry
from realtime.worker.ingest import Ingestor, LiveThing, StateWriter


def _thing(uiid: int, params: dict[str, Any], *, pk: int = 1, online: bool = True) -> LiveThing:
    plugin = default_registry.plugin_for(uiid, params, item_type=1)
    thing = LiveThing(pk, 7, f"dev{pk}", uiid, 1, params, {}, online, None, plugin)
    thing.refresh_state()
    return thing


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[int, dict[str, Any]]] = []

    async def __call__(self, household: int, payload: dict[str, Any]) -> None:
        self.sent.append((household, payload))


@pytest.fixture
def setup():
    recorder = Recorder()
    writer = StateWriter()
    return Ingestor(recorder, writer), recorder, writer


async def test_partial_channel_update_is_merged_by_outlet_and_published(setup):
    ingestor, recorder, _ = setup
    switches = [{"switch": "off", "outlet": n} for n in range(4)]
    ingestor.load(1, [_thing(4, {"switches": switches})])
    await ingestor.on_params(1, "dev1", {"switches": [{"switch": "on", "outlet": 2}]})
    ((household, event),) = recorder.sent
    assert household == 7
    assert event["type"] == "thing"
    assert event["state"]["switch_3"] is True
    assert event["state"]["switch_1"] is False
    assert event["last_update"] is not None
    assert [s["switch"] for s in ingestor.get(1, "dev1").params["switches"]] == [
        "off", "off", "on", "off"
    ]  # fmt: skip


async def test_a_frame_that_changes_nothing_visible_publishes_nothing(setup):
    ingestor, recorder, _ = setup
    ingestor.load(1, [_thing(1, {"switch": "on"})])
    await ingestor.on_params(1, "dev1", {"switch": "on"})
    await ingestor.on_params(1, "unknown-device", {"switch": "off"})
    await ingestor.on_params(1, "dev1", ["not", "a", "dict"])  # malformed: ignored
    assert recorder.sent == []
    assert ingestor.frames == 3


async def test_meter_strings_are_normalized(setup):
    ingestor, recorder, _ = setup
    ingestor.load(1, [_thing(32, {"switch": "on", "power": "1.00"})])
    await ingestor.on_params(1, "dev1", {"power": "68.79", "voltage": "229.10"})
    state = recorder.sent[-1][1]["state"]
    assert state["power"] == pytest.approx(68.79)
    assert state["voltage"] == pytest.approx(229.1)


async def test_sysmsg_online_and_the_zigbee_rssi_quirk(setup):
    ingestor, recorder, _ = setup
    ingestor.load(1, [_thing(2026, {"motion": 0}, online=False)])
    await ingestor.on_params(1, "dev1", {"subDevRssi": 127})
    assert ingestor.get(1, "dev1").online is False  # not a sign of life
    await ingestor.on_online(1, "dev1", True)
    assert recorder.sent[-1][1]["online"] is True
    await ingestor.on_online(1, "dev1", True)  # no change, no event
    assert len(recorder.sent) == 1


async def test_any_other_update_brings_an_offline_device_back(setup):
    ingestor, recorder, _ = setup
    ingestor.load(1, [_thing(1, {"switch": "off"}, online=False)])
    await ingestor.on_params(1, "dev1", {"switch": "off"})
    assert recorder.sent[-1][1]["online"] is True


async def test_door_sensor_online_flag_is_not_trusted(setup):
    ingestor, recorder, _ = setup
    ingestor.load(1, [_thing(102, {"switch": "off"}, online=True)])
    await ingestor.on_online(1, "dev1", False)
    assert ingestor.get(1, "dev1").online is True
    assert recorder.sent == []


async def test_many_frames_become_one_pending_write_per_thing(setup):
    ingestor, recorder, writer = setup
    ingestor.load(1, [_thing(32, {"switch": "on", "power": "0"})])
    for n in range(50):
        await ingestor.on_params(1, "dev1", {"power": f"{n}.00"})
    assert len(recorder.sent) == 49  # power 0 → 0 is not a change
    assert list(writer._dirty) == [1]
    assert writer._dirty[1].params["power"] == "49.00"


def _group(pk: int, params: dict[str, Any], members: tuple[str, ...]) -> LiveThing:
    plugin = default_registry.plugin_for(5000, params, item_type=3)
    group = LiveThing(pk, 7, f"group{pk}", 5000, 3, params, {}, True, None, plugin, members=members)
    group.refresh_state()
    return group


async def test_a_group_follows_its_members_and_is_published(setup):
    ingestor, recorder, writer = setup
    group = _group(9, {"switch": "off"}, ("dev1", "dev2"))
    ingestor.load(
        1, [_thing(1, {"switch": "off"}, pk=1), _thing(1, {"switch": "off"}, pk=2), group]
    )

    await ingestor.on_params(1, "dev1", {"switch": "on"})  # one member on: the group is on
    assert [e["id"] for _, e in recorder.sent] == [1, 9]
    assert recorder.sent[-1][1]["state"] == {"switch": True}
    assert recorder.sent[-1][1]["last_update"] is not None
    assert group.params["switch"] == "on"
    assert 9 in writer._dirty  # its state is written like a device's

    await ingestor.on_params(1, "dev2", {"switch": "on"})  # still on: nothing new to say
    assert [e["id"] for _, e in recorder.sent] == [1, 9, 2]

    await ingestor.on_params(1, "dev1", {"switch": "off"})
    await ingestor.on_params(1, "dev2", {"switch": "off"})
    assert recorder.sent[-1][1]["id"] == 9
    assert recorder.sent[-1][1]["state"] == {"switch": False}
    assert group in ingestor.things_of(1)
    assert ingestor.get(1, "group9") is None  # groups get no frames of their own


class UpgradeWatcher(Ingestor):
    """Keeps the versions it would decide an upgrade with, instead of writing them."""

    def __init__(self) -> None:
        super().__init__(Recorder(), StateWriter())
        self.decided: list[str] = []

    async def _finish_upgrade(self, thing: LiveThing, reported: str) -> None:
        self.decided.append(reported)


async def test_an_upgrade_is_decided_by_a_newer_version_or_by_any_after_a_reboot() -> None:
    ingestor = UpgradeWatcher()
    ingestor.load(1, [_thing(1, {"switch": "off", "fwVersion": "3.9.1"}, pk=1)])
    ingestor.load(2, [_thing(1, {"switch": "off", "fwVersion": "3.9.1"}, pk=2)])
    ingestor.watch_upgrade(1, "dev1", "3.9.1")
    ingestor.watch_upgrade(2, "dev2", "3.9.1")
    # Before any reboot, the old version is what the device still runs: no verdict yet.
    await ingestor.on_params(1, "dev1", {"fwVersion": "3.9.1"})
    assert ingestor.get(1, "dev1").upgrade_from == "3.9.1"
    await ingestor.on_params(1, "dev1", {"fwVersion": "3.10.0"})
    await ingestor.on_online(2, "dev2", False)
    await ingestor.on_params(2, "dev2", {"fwVersion": "3.9.1"})
    await ingestor.on_params(2, "dev2", {"fwVersion": "3.9.1"})  # decided once
    for _ in range(3):
        await asyncio.sleep(0)
    assert ingestor.decided == ["3.10.0", "3.9.1"]
    assert ingestor.get(1, "dev1").upgrade_from is None
    assert ingestor.get(2, "dev2").upgrade_from is None


class DetailsCounter(Ingestor):
    """Counts the things whose details it would announce, instead of announcing them."""

    def __init__(self) -> None:
        super().__init__(Recorder(), StateWriter())
        self.announced: list[int] = []

    def _details(self, thing: LiveThing) -> None:
        self.announced.append(thing.pk)


async def test_details_are_announced_only_when_a_detail_changes() -> None:
    ingestor = DetailsCounter()
    timers = [{"enabled": 1, "at": "0 7 * * *", "type": "repeat"}]
    ingestor.load(1, [_thing(1, {"switch": "off", "startup": "off", "timers": timers})])
    # Devices repeat their settings with their state: nothing new for a thing page.
    await ingestor.on_params(1, "dev1", {"switch": "on", "startup": "off", "timers": timers})
    assert ingestor.announced == []
    await ingestor.on_params(1, "dev1", {"startup": "stay"})
    await ingestor.on_params(1, "dev1", {"timers": []})
    assert ingestor.announced == [1, 1]
    assert ingestor.get(1, "dev1").params["startup"] == "stay"


class QuietDetails(Ingestor):
    """Stores details as the worker does, without announcing them (no channel layer here)."""

    async def _announce_details(self, thing: LiveThing) -> None:
        return None


async def test_a_report_of_details_alone_moves_the_things_stored_update_on(setup) -> None:
    # A timer changed and nothing on the card did: the stored update time still moves, so a
    # thing page drawn from the older row sees a newer update in its snapshot and redraws.
    _, recorder, writer = setup
    ingestor = QuietDetails(recorder, writer)
    ingestor.load(1, [_thing(1, {"switch": "off", "timers": []})])
    await ingestor.on_params(1, "dev1", {"timers": [{"enabled": 1, "at": "0 7 * * *"}]})
    assert recorder.sent == []  # the card did not change
    stored = writer._dirty[1]
    assert stored.last_update is not None
    assert stored.params["timers"] == [{"enabled": 1, "at": "0 7 * * *"}]


class NowRecorder:
    """A `PublishNow` stand-in: records, and is ready only while `ready_now` says so."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, dict[str, Any]]] = []
        self.ready_now = True

    def ready(self) -> bool:
        return self.ready_now

    def __call__(self, household: int, payload: dict[str, Any]) -> None:
        self.sent.append((household, payload))


def test_a_report_in_the_readers_turn_publishes_what_on_params_would_without_waiting() -> None:
    now, awaited, writer = NowRecorder(), Recorder(), StateWriter()
    ingestor = Ingestor(awaited, writer, now)
    group = _group(9, {"switch": "off"}, ("dev1", "dev2"))
    ingestor.load(
        1, [_thing(1, {"switch": "off"}, pk=1), _thing(1, {"switch": "off"}, pk=2), group]
    )
    assert ingestor.params_now(1, "dev1", {"switch": "on"})
    assert [(h, e["id"], e["state"]["switch"]) for h, e in now.sent] == [
        (7, 1, True),
        (7, 9, True),  # the group follows, after its member
    ]
    assert {1, 9} <= writer._dirty.keys()  # written like any report
    assert ingestor.events == 2
    assert ingestor.online_now(1, "dev2", False)
    assert now.sent[-1][1]["online"] is False
    assert ingestor.params_now(1, "dev1", {"switch": "on"})  # no news: taken, nothing sent
    assert len(now.sent) == 3
    assert awaited.sent == []


def test_a_report_is_left_alone_when_publishing_now_is_not_possible() -> None:
    now = NowRecorder()
    now.ready_now = False  # Redis is behind: the caller queues it for on_params instead
    ingestor = Ingestor(Recorder(), StateWriter(), now)
    ingestor.load(1, [_thing(1, {"switch": "off"})])
    assert not ingestor.params_now(1, "dev1", {"switch": "on"})
    assert not ingestor.online_now(1, "dev1", False)
    assert ingestor.get(1, "dev1").params == {"switch": "off"}  # nothing merged
    assert ingestor.get(1, "dev1").online
    assert (now.sent, ingestor.frames) == ([], 0)
    assert not Ingestor(Recorder(), StateWriter()).params_now(1, "dev1", {"switch": "on"})
