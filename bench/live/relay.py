"""The bare relay the benchmark measures beside ours: aiohttp → Redis pub/sub → websocket.

    python bench/live/relay.py ingest --spec FILE   # cloud sockets (app `relay`) → PUBLISH
    python bench/live/relay.py serve --port P --redis URL --channel C   # SUBSCRIBE → /ws

No Django, no parsing, no state: each cloud text frame is published as it came, and the
serving process fans every pub/sub message out to its websocket clients. Each prints one
"ready ..." line on stdout when it is up, and runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.live.cloud import keep_pinging, login, open_socket


async def ingest(spec: dict) -> None:
    redis = aioredis.Redis.from_url(spec["redis"])
    channel = spec["channel"]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    gate = asyncio.Semaphore(20)
    sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def pump(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT and msg.data != "pong":
                await redis.publish(channel, msg.data)

    async def connect(acc: dict) -> aiohttp.ClientWebSocketResponse:
        async with gate:
            tok = await login(
                http, spec["api"], spec["appid"], spec["secret"], acc["email"], acc["password"]
            )
            return await open_socket(
                http, spec["dispatch"], spec["appid"], tok["at"], tok["apikey"]
            )

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sockets += await asyncio.gather(*(connect(a) for a in spec["accounts"]))
        pumps = [asyncio.create_task(pump(ws)) for ws in sockets]
        pinger = asyncio.create_task(keep_pinging(sockets))
        print(f"ready {len(sockets)}", flush=True)
        await stop.wait()
        pinger.cancel()
        for task in pumps:
            task.cancel()
        for ws in sockets:
            await ws.close()
    await redis.aclose()


async def serve(port: int, redis_url: str, channel: str) -> None:
    clients: set[web.WebSocketResponse] = set()
    redis = aioredis.Redis.from_url(redis_url)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)

    async def fan_out() -> None:
        async for message in pubsub.listen():
            if message["type"] != "message":
                continue
            data = message["data"].decode()
            for ws in list(clients):
                try:
                    await ws.send_str(data)
                except (ConnectionError, RuntimeError):
                    clients.discard(ws)

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            clients.discard(ws)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    task = asyncio.create_task(fan_out())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(f"ready {port}", flush=True)
    await stop.wait()
    task.cancel()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ingest", "serve"])
    parser.add_argument("--spec")
    parser.add_argument("--port", type=int)
    parser.add_argument("--redis")
    parser.add_argument("--channel", default="bench:relay")
    args = parser.parse_args()
    if args.mode == "ingest":
        asyncio.run(ingest(json.loads(Path(args.spec).read_text())))
    else:
        asyncio.run(serve(args.port, args.redis, args.channel))


if __name__ == "__main__":
    main()
