"""Bad input gets a clear error and never breaks the server (REST and websocket fuzzing)."""

from __future__ import annotations

import json
import random
from typing import Any

from cloudsim.rest import ENDPOINTS
from tests.cloudsim.simclient import Cloud, next_json

NAMES = [
    "deviceid",
    "id",
    "type",
    "params",
    "num",
    "familyid",
    "roomid",
    "name",
    "sort",
    "thingList",
    "deviceidList",
    "user",
    "permit",
    "tags",
    "settings",
    "timeout",
    "from",
    "apikey",
    "idList",
    "oldThingList",
    "newThingList",
    "deviceInfoList",
    "rt",
    "code",
    "mainDeviceId",
    "getThing",
    "getMessage",
    "nickname",
    "verificationCode",
]


def junk(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["int", "str", "none", "bool", "float"] + (["list", "dict"] if depth < 2 else [])
    kind = rng.choice(kinds)
    if kind == "list":
        return [junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == "dict":
        return {rng.choice(NAMES): junk(rng, depth + 1) for _ in range(rng.randrange(4))}
    return {
        "int": rng.randint(-5, 40),
        "str": rng.choice(["", "x", "1000abcdef", "on"]),
        "none": None,
        "bool": rng.random() < 0.5,
        "float": rng.random(),
    }[kind]


async def test_fuzzed_rest_bodies_get_envelopes_not_crashes(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(2))["deviceid"]
    rng = random.Random(1234)
    bearer = [
        e
        for e in ENDPOINTS
        if e.auth == "bearer"
        and "logout" not in e.path
        and "oauth" not in e.path
        and "close-account" not in e.path
    ]
    codes = set()
    for _ in range(300):
        ep = rng.choice(bearer)
        body = {rng.choice(NAMES): junk(rng) for _ in range(rng.randrange(5))}
        if rng.random() < 0.3:
            body["deviceid"] = deviceid
        if ep.method in ("GET", "DELETE"):
            query = {k: str(v) for k, v in body.items()}
            reply = await cloud.api.call(ep.method, "eu", ep.path, user.at, params=query)
        else:
            reply = await cloud.api.call(ep.method, "eu", ep.path, user.at, body=body)
        assert isinstance(reply["error"], int)
        assert reply["error"] != 500, (ep.path, body, reply)
        codes.add(reply["error"])
    assert 400 in codes
    assert (await user.get("/v2/user/profile"))["error"] == 0


async def test_fuzzed_websocket_frames_keep_the_socket_alive(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(4))["deviceid"]
    ws = await cloud.ws(user)
    rng = random.Random(99)
    for n in range(150):
        frame = {
            "action": rng.choice(["update", "query", "upgrade", "bogus", None]),
            "apikey": rng.choice([user.apikey, None, 5]),
            "sequence": str(n),
            "deviceid": rng.choice([deviceid, "nope", None, []]),
            "params": junk(rng),
        }
        await ws.send_str(json.dumps(frame))
        reply = await next_json(ws, skip_actions=("update", "sysmsg"))
        assert reply["sequence"] == str(n)
        assert reply["error"] != 500, (frame, reply)
    await ws.send_str("ping")
    assert (await ws.receive(timeout=3)).data == "pong"
    await ws.close()
