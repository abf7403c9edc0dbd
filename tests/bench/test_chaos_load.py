"""The chaos soak's page sockets (bench/chaos/load.py) read protocol 3 as live.js does: a
snapshot in parts is applied as one, and the thing frames of a batch each count as seen."""

from __future__ import annotations

import random

from bench.chaos.load import Load, Page


def _load() -> Load:
    load = Load.__new__(Load)  # no HTTP session: only the frame reading is under test
    load.controls, load.rng = {}, random.Random(1)
    return load


def _thing(pk: int, on: bool) -> dict:
    return {"type": "thing", "id": pk, "state": {"switch": on}, "online": True}


def test_a_snapshot_in_parts_and_a_batch_reach_the_pages_state() -> None:
    load, page = _load(), Page(0, 8000, "")
    view = {"state": {"switch": False}, "online": True}
    load._take(page, {"type": "snapshot_part", "things": {"1": view}}, 1.0)
    assert not page.live  # not before the snapshot frame itself
    load._take(page, {"type": "snapshot", "parts": 1, "things": {"2": view}}, 1.0)
    assert page.live
    assert set(page.state) == {1, 2}
    assert page.parts == {}

    batch = {"type": "batch", "frames": [_thing(1, True), _thing(2, True), _thing(1, False)]}
    load._take(page, batch | {"merged": 0}, 2.0)
    assert page.state[1]["state"] == {"switch": False}  # the last of the two, in order
    assert page.state[2]["state"] == {"switch": True}
    assert page.seen[(1, True)] == [2.0]
    assert page.seen[(1, False)] == [2.0]
