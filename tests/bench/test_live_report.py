"""bench/live_latency.py's report: its lines and columns, from fabricated results."""

from __future__ import annotations

import argparse
from typing import Any

from bench.live.analysis import RunResult
from bench.live.report import is_ours, report, run_line

ARGS = argparse.Namespace(
    accounts=20,
    devices=10,
    uiid=1770,
    listeners=10,
    worker_governor="on",
    event_loop="uvloop",
    database_url="",
    redis_url="",
    stall_seconds=30.0,
)
USAGE = {"worker": (12.0, 107.0), "others": (81.0, 0.0), "daphne": (20.0, 112.0)}


def _result(label: str, rate: float, latencies: list[float], **kw: Any) -> RunResult:
    base: dict[str, Any] = {
        "label": label,
        "rate": rate,
        "seconds": 5.0,
        "sent": int(rate * 5),
        "achieved": rate,
        "expected": int(rate * 5),
        "latencies": latencies,
        "delivered": int(rate * 5) * 10,
        "lost": 0,
        "lost_events": 0,
        "listeners": 10,
        "unchanged": 0,
        "negative": 0,
        "usage": dict(USAGE),
    }
    return RunResult(**{**base, **kw})


def _results() -> list[RunResult]:
    return [
        _result("ours", 200, [2.0, 3.0, 4.0], tapped=[1.0, 2.0], drain_s=9.8),
        _result("relay", 200, [1.0, 1.0, 2.0]),
        _result("ours sweep", 200, [3.0, 5.0, 7.0]),
        _result("ours sweep", 600, [30.0, 60.0, 90.0]),  # p99 over 50 ms: the knee
        _result("relay sweep", 600, [1.0, 2.0, 3.0], lost=3, lost_events=2),
    ]


def test_run_line_names_the_worker_split_only_when_tapped() -> None:
    ours, relay = _results()[:2]
    assert run_line(ours).startswith("ours: 200 ev/s x 5.0 s → sent 1000 (cloud 200/s), ")
    assert "p50 3.00 p95 4.0 p99 4.0 max 4.0 ms" in run_line(ours)  # p50: the ratio's digits
    assert run_line(ours).endswith("; cloud→Redis (worker) p50 1.0 p99 2.0 ms of 2")
    assert run_line(relay).endswith("lost 0 events (0 frames), merged 0 frames")


def test_report_rows_verdicts_and_knees() -> None:
    facts = {"link_seconds": 0.7, "hold_seconds": 0.5, "alive": {"k": "v"}, "page_closes": [None]}
    text = report(ARGS, _results(), facts, [10.0, 20.0], ["timeout"])
    lines = text.split("\n")
    assert lines[0] == ""
    assert lines[1] == lines[-1] == "=" * 100
    assert lines[2].startswith("live_latency: 20 accounts x 10 devices (uiid 1770) in one ")
    header = next(i for i, line in enumerate(lines) if line.startswith("run           rate   sent"))
    assert lines[header + 1] == "-" * len(lines[header])
    rows = lines[header + 2 : header + 7]
    assert [row[:12].strip() for row in rows] == [
        "ours",
        "relay",
        "ours sweep",
        "ours sweep",
        "relay sweep",
    ]
    assert rows[0].endswith("meets target (backlog drained 10 s later)")
    assert rows[1].endswith("81%  ")  # the relay gets no verdict; drained < 1 s: no note
    assert rows[3].endswith("MISSES target")
    assert rows[4].split()[10] == "2"  # lost events
    assert "ours: first sweep rate with p99 > 50 ms (or loss): 600 ev/s" in lines
    assert "bare relay: first sweep rate with p99 > 50 ms (or loss): 600 ev/s" in lines
    assert any(
        line.startswith("command round-trip (page control → control_result ok, 2 ok, 1 ")
        for line in lines
    )
    assert "page sockets closed with codes: [None]" in lines
    # The CPU table: our windows only, a column per process, in name order.
    cpu = lines.index(
        "CPU (% of one core over the load window) and RSS (MiB at its end), per process:"
    )
    assert lines[cpu + 1].split() == ["run", "rate", "daphne", "others", "worker"]
    assert [line[:12].strip() for line in lines[cpu + 2 : cpu + 5]] == ["ours"] + ["ours sweep"] * 2


def test_report_of_relay_windows_alone_shows_their_usage() -> None:
    results = [_result("relay", 200, [1.0])]
    text = report(ARGS, results, {}, [], [])
    assert "command round-trip" not in text
    assert "first sweep rate" not in text
    assert "relay          200   " in text.split("per process:\n")[1]


def test_the_relays_windows_are_named_after_ours() -> None:
    from bench.live.load import _relay_label

    assert _relay_label("ours") == "relay"
    assert _relay_label("ours sweep") == "relay sweep"
    assert _relay_label("hold") == "relay hold"
    assert _relay_label("relay sweep") == "relay sweep"  # --relay separate's own
    assert not is_ours(_result(_relay_label("hold"), 200, [1.0]))
