"""A bare ASGI app for the web server test: sends a 40 KiB frame on connect, and answers
each frame it gets with that frame's length."""

from __future__ import annotations

from typing import Any

BIG = 40 * 1024


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": "x" * BIG})
        elif event["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": str(len(event.get("text") or ""))})
        else:
            return
