"""The parts of `bench/live_latency.py` (see bench/README.md for which holds what)."""

from __future__ import annotations

import time


def log(text: str) -> None:
    """A progress line, stamped: every part of the benchmark logs the same way."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)
