"""Benchmark: how many device events a second one cloudsim process pushes to 1,000 sockets.

Starts cloudsim as a subprocess, creates ACCOUNTS accounts x DEVICES devices through the
control API, logs every account in over signed REST, opens one websocket per account in
this process (dispatch → userOnline → ping), then drives `/_sim/load` at increasing rates
and counts the frames that arrive. Prints events/s sustained and cloudsim's RSS.

    .venv/bin/python bench/cloudsim_throughput.py [--accounts 1000] [--devices 10]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudsim.testing import RunningCloudsim, start_cloudsim

UIIDS = (1, 2, 32, 190, 1770, 15, 44, 2256, 126, 7017)
RATES = (500, 1000, 2000, 4000, 8000)
STEP_SECONDS = 5.0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Counter:
    frames = 0


async def control(
    session: aiohttp.ClientSession,
    sim: RunningCloudsim,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> Any:
    async with session.request(method, sim.control_url + path, json=body) as resp:
        resp.raise_for_status()
        return await resp.json()


async def make_account(
    session: aiohttp.ClientSession,
    sim: RunningCloudsim,
    i: int,
    devices: int,
    gate: asyncio.Semaphore,
) -> dict[str, Any]:
    async with gate:
        email = f"bench{i}@example.com"
        body = {"region": "eu", "email": email, "password": "pw", "countryCode": "+44"}
        account = await control(session, sim, "POST", "/accounts", body)
        for n in range(devices):
            spec = {"owner": account["apikey"], "uiid": UIIDS[n % len(UIIDS)], "name": f"d{n}"}
            await control(session, sim, "POST", "/devices", spec)
        raw = json.dumps({"countryCode": "+44", "email": email, "password": "pw"}).encode()
        digest = hmac.new(sim.secret.encode(), raw, hashlib.sha256).digest()
        headers = {
            "Content-Type": "application/json",
            "X-CK-Appid": sim.appid,
            "Authorization": "Sign " + base64.b64encode(digest).decode(),
        }
        async with session.post(
            sim.api("eu") + "/v2/user/login", data=raw, headers=headers
        ) as resp:
            login = await resp.json()
        return {"apikey": account["apikey"], "at": login["data"]["at"]}


async def open_socket(
    session: aiohttp.ClientSession,
    sim: RunningCloudsim,
    account: dict[str, Any],
    counter: Counter,
    gate: asyncio.Semaphore,
) -> aiohttp.ClientWebSocketResponse:
    async with gate:
        async with session.get(
            sim.info["regions"]["eu"]["dispatch"],
            headers={"Authorization": f"Bearer {account['at']}"},
        ) as resp:
            where = await resp.json()
        ws = await session.ws_connect(f"ws://{where['domain']}:{where['port']}/api/ws")
        await ws.send_str(
            json.dumps(
                {
                    "action": "userOnline",
                    "at": account["at"],
                    "apikey": account["apikey"],
                    "appid": sim.appid,
                    "nonce": "bench123",
                    "userAgent": "app",
                    "version": 8,
                    "sequence": str(int(time.time() * 1000)),
                }
            )
        )
        reply = json.loads((await ws.receive(timeout=10)).data)
        assert reply["error"] == 0, reply
        await ws.send_str("ping")
        assert (await ws.receive(timeout=10)).data == "pong"
    return ws


async def drain(ws: aiohttp.ClientWebSocketResponse, counter: Counter) -> None:
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT and msg.data != "pong":
            counter.frames += 1


async def run(accounts: int, devices: int, rates: tuple[int, ...], seconds: float) -> None:
    sim = start_cloudsim()
    counter = Counter()
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            started = time.monotonic()
            gate = asyncio.Semaphore(50)
            made = await asyncio.gather(
                *(make_account(session, sim, i, devices, gate) for i in range(accounts))
            )
            print(
                f"setup: {accounts} accounts x {devices} devices in "
                f"{time.monotonic() - started:.1f} s; cloudsim RSS {rss_kib(sim.pid) // 1024} MiB"
            )
            started = time.monotonic()
            sockets = await asyncio.gather(
                *(open_socket(session, sim, a, counter, gate) for a in made)
            )
            drains = [asyncio.create_task(drain(ws, counter)) for ws in sockets]
            counters = await control(session, sim, "GET", "/counters")
            print(
                f"sockets: {counters['connections']} connected in "
                f"{time.monotonic() - started:.1f} s; RSS {rss_kib(sim.pid) // 1024} MiB"
            )
            for rate in rates:
                await step(session, sim, counter, rate, seconds)
            for ws in sockets:
                await ws.close()
            await asyncio.gather(*drains, return_exceptions=True)
    finally:
        sim.stop()


async def step(
    session: aiohttp.ClientSession,
    sim: RunningCloudsim,
    counter: Counter,
    rate: int,
    seconds: float,
) -> None:
    before, started = counter.frames, time.monotonic()
    await control(session, sim, "POST", "/load", {"rate": rate, "duration": seconds})
    load: dict[str, Any] = {}
    for _ in range(int(seconds * 5) + 600):  # poll until the run ends (with a bound)
        load = await control(session, sim, "GET", "/load")
        if not load["running"]:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # let the last frames arrive
    received = counter.frames - before
    elapsed = time.monotonic() - started - 0.5
    print(
        f"rate {rate:>6}/s: sent {load['sent']:>6} in {elapsed:.2f} s "
        f"(cloudsim achieved {load['achieved_rate']:.0f}/s), received {received:>6} "
        f"= {received / elapsed:.0f} events/s; RSS {rss_kib(sim.pid) // 1024} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=STEP_SECONDS)
    parser.add_argument("--rates", type=int, nargs="+", default=list(RATES))
    args = parser.parse_args()
    asyncio.run(run(args.accounts, args.devices, tuple(args.rates), args.seconds))


if __name__ == "__main__":
    main()
