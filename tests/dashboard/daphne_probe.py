"""An ASGI app served by `python -m dashboard.serve` in tests: over HTTP it answers with the
module of the event loop serving it (test_event_loop); over a websocket, a text "burst N
SIZE" gets "small", then "writers K" (the reactor's sockets waiting to write right after
"small" was sent), then N numbered messages of SIZE bytes (test_twisted_writes). On path
/direct, frames go through `realtime.direct_send` (test_direct_send): first "direct yes" (or
"direct no"), then "sizes A B ..." gets one frame of each size, "mixed" gets "a" through
ASGI, "b" directly and "c" through ASGI again."""

from __future__ import annotations

import asyncio
from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        name = type(asyncio.get_running_loop()).__module__.split(".")[0].encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": name})
    elif scope["type"] == "websocket" and scope["path"] == "/direct":
        await _direct(scope, receive, send)
    elif scope["type"] == "websocket":
        await _websocket(receive, send)


async def _websocket(receive: Any, send: Any) -> None:
    from twisted.internet import reactor

    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            _, count, size = message["text"].split()
            await send({"type": "websocket.send", "text": "small"})
            waiting = len(reactor.getWriters())  # type: ignore[attr-defined]
            await send({"type": "websocket.send", "text": f"writers {waiting}"})
            for n in range(int(count)):
                await send({"type": "websocket.send", "text": f"{n:08d}" * (int(size) // 8)})
        else:
            return


async def _direct(scope: dict[str, Any], receive: Any, send: Any) -> None:
    from channels.sessions import InstanceSessionWrapper

    from realtime.direct_send import direct_text_sender

    # As the consumer gets it: wrapped by Channels' session middleware.
    send = InstanceSessionWrapper({**scope, "cookies": {}, "session": {}}, send).send
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    direct = direct_text_sender(send)
    await send({"type": "websocket.send", "text": f"direct {'no' if direct is None else 'yes'}"})
    while direct is not None:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        command, *sizes = message["text"].split()
        if command == "sizes":
            for size in map(int, sizes):
                direct((f"{size:08d}" * (size // 8 + 1))[:size])
        elif command == "mixed":
            await send({"type": "websocket.send", "text": "a"})
            direct("b")
            await send({"type": "websocket.send", "text": "c"})
