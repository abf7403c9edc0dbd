"""An ASGI app served by `python -m dashboard.serve` in tests: it answers with the module of
the event loop serving it (test_event_loop)."""

from __future__ import annotations

import asyncio
from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    name = type(asyncio.get_running_loop()).__module__.split(".")[0].encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": name})
