"""What every live page tells its socket: the structure version it was drawn at, when, and the
page protocol (static/js/live.js reads them from the page's sections element)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from realtime.events import PROTOCOL_VERSION


def live_context(request: HttpRequest) -> dict[str, Any]:
    """Read before the page is drawn: a change made meanwhile is newer than both, so the
    page's socket still brings it."""
    return {
        "structure_version": request.household.structure_version,  # type: ignore[attr-defined]
        "drawn_at": timezone.now().isoformat(),
        "protocol": PROTOCOL_VERSION,
    }
