"""bench/live_latency.py's reading of page frames: batch frames are unpacked, states a page
socket merged away are counted apart from lost ones, and only for our stack."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> Any:
    spec = importlib.util.spec_from_file_location("live_latency", ROOT / "bench/live_latency.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "live_latency", module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", ["live_latency.py"])
    instance = module.Bench(module.parse_args())
    instance.thing_device = {1: "dev1", 2: "dev2"}
    yield module, instance
    shutil.rmtree(instance.tmp, ignore_errors=True)


def _thing(pk: int, n: int) -> dict[str, Any]:
    return {"type": "thing", "id": pk, "state": {"temperature": n / 100}}


def _frame(payload: dict[str, Any], seq: int) -> str:
    return json.dumps({**payload, "seq": seq})  # as the consumer sends it


def test_batch_frames_are_read_and_merged_states_are_not_lost(bench: Any) -> None:
    module, b = bench
    events = {("dev1", 1): 1.0, ("dev1", 2): 1.1, ("dev1", 3): 1.2, ("dev2", 1): 1.0}
    keeps_up = [
        (1.01, _frame(_thing(1, 1), 1)),
        (1.3, _frame({"type": "batch", "frames": [_thing(1, 2), _thing(2, 1)], "merged": 0}, 2)),
        (1.31, _frame(_thing(1, 3), 3)),
    ]
    behind = [  # dev1's states 1 and 2 merged into 3; dev2's only state never came
        (1.5, _frame({"type": "batch", "frames": [_thing(1, 3)], "merged": 2}, 1)),
    ]
    b.rec.pages = {"ours": [keeps_up, behind]}
    result = b.analyse("ours", 200, 1, {}, 2, "ours", {}, events, 0)
    assert result.delivered == 4 + 1
    assert result.merged == 2
    assert (result.lost, result.lost_events) == (1, 1)  # dev2's state on the second page
    assert module.things_or_merged(behind[0][1]) == 3
    assert module.things_or_merged(keeps_up[1][1]) == 2
    assert module.things_or_merged(keeps_up[0][1]) == 1


def test_the_relay_never_merges(bench: Any) -> None:
    _, b = bench
    events = {("dev1", 1): 1.0, ("dev1", 2): 1.1}
    frame = json.dumps({"deviceid": "dev1", "params": {"temperature": 2}})
    b.rec.pages = {"relay": [[(1.2, frame)]]}
    result = b.analyse("relay", 200, 1, {}, 1, "relay", {}, events, 0)
    assert (result.merged, result.lost) == (0, 1)
