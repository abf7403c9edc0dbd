"""Daphne's and the worker's garbage-collection settings, set once at start: checked in a
child process (they are process-wide, and the test process keeps its own)."""

from __future__ import annotations

import subprocess
import sys


def test_settling_freezes_what_exists_and_collects_less_often():
    script = (
        "import gc; from dashboard import heap; before = gc.get_freeze_count(); "
        "heap.settle(); print(before, gc.get_freeze_count() > 1000, gc.get_threshold())"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split(maxsplit=2)
    assert out[0] == "0"
    assert out[1] == "True"
    assert out[2].strip() == "(50000, 20, 100)"


def _asgi_heap(*first: str) -> str:
    imports = [f"import {module}" for module in first]
    report = "print(gc.get_freeze_count() > 1000, gc.get_threshold())"
    script = "; ".join([*imports, "import gc, dashboard.asgi", report])
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


def test_daphne_settles_the_heap_of_the_app_it_serves_and_nothing_else_does():
    assert _asgi_heap("daphne.cli") == "True (50000, 20, 100)"
    assert _asgi_heap() == "False (700, 10, 10)"  # CPython's defaults
