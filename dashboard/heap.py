"""Garbage collection tuned for the event loops of Daphne and the realtime worker.

A full collection walks every tracked object: with a worker's devices in memory it took
90-150 ms (Daphne's about 90 ms), and the event loop stood still meanwhile
(bench/live_latency.py's sweep at 1,600 events/s: p99 157 ms). What lives as long as the
process (modules, Django, settings) is frozen out of collections once it has started, and
the generations are collected less often, so that a full pass comes minutes apart instead
of seconds (same sweep: p99 47 ms on 2026-12-04's machine; on a slower one on 2026-12-05,
where both cores were full, the gain did not show: bench/README.md).
"""

from __future__ import annotations

import gc

# Allocations before a young collection; young collections per middle one; middle per full.
THRESHOLDS = (50_000, 20, 100)


def settle() -> None:
    """Collect once, freeze what is left, and collect less often from now on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
