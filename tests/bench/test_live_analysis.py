"""bench/live_latency.py's reading of page frames: batch frames are unpacked, states a page
socket merged away are counted apart from lost ones, and only for our stack."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.live.analysis import Matcher, Recorder, analyse, things_or_merged


@pytest.fixture
def match() -> Matcher:
    matcher = Matcher.for_uiid(1770)
    matcher.thing_device = {1: "dev1", 2: "dev2"}
    return matcher


def _thing(pk: int, n: int) -> dict[str, Any]:
    return {"type": "thing", "id": pk, "state": {"temperature": n / 100}}


def _frame(payload: dict[str, Any], seq: int) -> str:
    return json.dumps({**payload, "seq": seq})  # as the consumer sends it


def test_batch_frames_are_read_and_merged_states_are_not_lost(match: Matcher) -> None:
    events = {("dev1", 1): 1.0, ("dev1", 2): 1.1, ("dev1", 3): 1.2, ("dev2", 1): 1.0}
    keeps_up = [
        (1.01, _frame(_thing(1, 1), 1)),
        (1.3, _frame({"type": "batch", "frames": [_thing(1, 2), _thing(2, 1)], "merged": 0}, 2)),
        (1.31, _frame(_thing(1, 3), 3)),
    ]
    behind = [  # dev1's states 1 and 2 merged into 3; dev2's only state never came
        (1.5, _frame({"type": "batch", "frames": [_thing(1, 3)], "merged": 2}, 1)),
    ]
    rec = Recorder(pages={"ours": [keeps_up, behind]})
    result = analyse(match, rec, "ours", 200, 1, {}, 2, "ours", {}, events, 0)
    assert result.delivered == 4 + 1
    assert result.merged == 2
    assert (result.lost, result.lost_events) == (1, 1)  # dev2's state on the second page
    assert things_or_merged(behind[0][1]) == 3
    assert things_or_merged(keeps_up[1][1]) == 2
    assert things_or_merged(keeps_up[0][1]) == 1


def test_the_relay_never_merges(match: Matcher) -> None:
    events = {("dev1", 1): 1.0, ("dev1", 2): 1.1}
    frame = json.dumps({"deviceid": "dev1", "params": {"temperature": 2}})
    rec = Recorder(pages={"relay": [[(1.2, frame)]]})
    result = analyse(match, rec, "relay", 200, 1, {}, 1, "relay", {}, events, 0)
    assert (result.merged, result.lost) == (0, 1)


def test_cloud_events_skip_values_a_device_already_has(match: Matcher) -> None:
    match.start_from({"dev1": {"temperature": "5"}, "dev2": {}})

    def update(deviceid: str, value: str) -> str:
        return json.dumps(
            {"action": "update", "deviceid": deviceid, "params": {"temperature": value}}
        )

    cloud = [(1.0, update("dev1", "5")), (1.1, update("dev1", "6")), (1.2, update("dev2", "5"))]
    cloud.append((1.3, json.dumps({"action": "sysmsg", "deviceid": "dev1", "params": {}})))
    events, unchanged = match.cloud_events(cloud)
    assert events == {("dev1", 6): 1.1, ("dev2", 5): 1.2}
    assert unchanged == 1  # dev1 was already at 5
    assert match.last_key == {"dev1": 6, "dev2": 5}
