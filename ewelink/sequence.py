"""Process-wide websocket ``sequence`` numbers: ms timestamps forced strictly increasing.

Replies are matched by sequence, so two sessions (accounts) must never reuse one (notes §2.6).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_lock = threading.Lock()
_last = 0


def next_sequence(clock_ms: Callable[[], int] | None = None) -> str:
    """Next unique sequence as a string of milliseconds."""
    global _last
    now = clock_ms() if clock_ms is not None else time.time_ns() // 1_000_000
    with _lock:
        _last = max(now, _last + 1)
        return str(_last)
