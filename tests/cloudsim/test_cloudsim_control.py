"""The control API: faults, etiquette, load, counters, behaviour and input checking."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time

import aiohttp
import pytest

from cloudsim.etiquette import SPACING_S
from cloudsim.testing import ControlError
from tests.cloudsim.simclient import Cloud, next_json, no_frame
from tests.waiting import async_until


async def test_health_and_settings_partial_update(cloud: Cloud) -> None:
    assert await cloud.sim.acontrol("GET", "/health") == {"ok": True}
    changed = await cloud.sim.acontrol("POST", "/settings", {"hb_interval": 30, "etiquette": True})
    assert changed["hb_interval"] == 30
    assert changed["etiquette"] is True
    assert changed["at_ttl"] == 30 * 86400
    for bad in ({"nope": 1}, {"etiquette": "yes"}, {"hb_interval": -1}):
        with pytest.raises(ControlError, match="400"):
            await cloud.sim.acontrol("POST", "/settings", bad)


async def test_control_rejects_bad_input(cloud: Cloud) -> None:
    session = cloud.api.session
    async with session.post(
        cloud.sim.control_url + "/accounts",
        data=b"{oops",
        headers={"Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 400
    with pytest.raises(ControlError, match="404"):
        await cloud.sim.acontrol("GET", "/devices/0000000000")
    with pytest.raises(ControlError, match="400"):
        await cloud.sim.acontrol("POST", "/devices", {"owner": "nobody", "uiid": 1})
    with pytest.raises(ControlError, match="400"):
        await cloud.sim.acontrol("POST", "/accounts", {"region": "mars", "email": "a@b.c"})
    with pytest.raises(ControlError, match="400"):
        await cloud.sim.acontrol("POST", "/faults", {"kind": "gremlins"})
    with pytest.raises(ControlError, match="400"):
        await cloud.sim.acontrol("POST", "/faults", {"kind": "command_error", "error": "busy"})


async def test_accounts_listing_and_homes(cloud: Cloud) -> None:
    user = await cloud.user("as")
    listed = await cloud.sim.acontrol("GET", "/accounts")
    assert [a["apikey"] for a in listed] == [user.apikey]
    assert listed[0]["region"] == "as"
    home = await cloud.sim.acontrol(
        "POST", f"/accounts/{user.apikey}/homes", {"name": "Villa", "rooms": ["Pool", "Roof"]}
    )
    assert [r["name"] for r in home["rooms"]] == ["Pool", "Roof"]
    families = (await user.get("/v2/family"))["data"]["familyList"]
    assert {f["name"] for f in families} == {"My Home", "Villa"}


async def test_http_status_fault_counts_down(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    fault = await cloud.sim.acontrol(
        "POST",
        "/faults",
        {
            "kind": "http_status",
            "path": "/v2/device/thing",
            "method": "GET",
            "status": 503,
            "count": 2,
        },
    )
    assert fault["id"]
    url = cloud.sim.api("eu") + "/v2/device/thing"
    headers = {"Authorization": f"Bearer {user.at}"}
    for expected in (503, 503, 200):
        async with cloud.api.session.get(url, headers=headers) as resp:
            assert resp.status == expected
    assert await cloud.sim.acontrol("GET", "/faults") == []


async def test_latency_and_rate_limit_faults(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    await cloud.sim.acontrol("POST", "/faults", {"kind": "latency", "ms": 300, "count": 1})
    started = time.monotonic()
    assert (await user.get("/v2/user/profile"))["error"] == 0
    assert time.monotonic() - started >= 0.28
    await cloud.sim.acontrol("POST", "/faults", {"kind": "rate_limit", "path": "/v2/family"})
    assert (await user.get("/v2/family"))["error"] == 429
    assert (await user.get("/v2/family"))["error"] == 429
    assert (await user.get("/v2/user/profile"))["error"] == 0
    assert len(await cloud.sim.acontrol("GET", "/faults")) == 1
    await cloud.sim.acontrol("DELETE", "/faults")
    assert (await user.get("/v2/family"))["error"] == 0


async def test_a_refused_handshake_can_be_for_one_account_only(cloud: Cloud) -> None:
    user, other = await cloud.user("eu"), await cloud.user("eu")
    fault = {"kind": "refuse_handshake", "error": 406, "apikey": user.apikey}
    await cloud.sim.acontrol("POST", "/faults", fault)
    ws, reply = await cloud.ws_raw(other)
    assert reply["error"] == 0  # another account's socket opens as usual
    await ws.close()
    for _ in range(2):  # without a count, until cleared
        ws, reply = await cloud.ws_raw(user)
        assert reply["error"] == 406
        await ws.close()
    await cloud.sim.acontrol("DELETE", "/faults")
    ws, reply = await cloud.ws_raw(user)
    assert reply["error"] == 0
    await ws.close()


async def test_websocket_faults(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    await cloud.sim.acontrol(
        "POST", "/faults", {"kind": "refuse_handshake", "error": 406, "count": 1}
    )
    ws, reply = await cloud.ws_raw(user)
    assert reply["error"] == 406
    await ws.close()
    await cloud.sim.acontrol(
        "POST", "/faults", {"kind": "refuse_handshake", "error": "close", "count": 1}
    )
    ws = await cloud.api.session.ws_connect(cloud.sim.info["websocket"])
    await ws.send_str(
        json.dumps(
            {
                "action": "userOnline",
                "at": user.at,
                "apikey": user.apikey,
                "appid": cloud.api.appid,
                "nonce": "abcd1234",
            }
        )
    )
    closed = await ws.receive(timeout=3)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await ws.close()
    await cloud.sim.acontrol(
        "POST", "/faults", {"kind": "ws_close_after", "seconds": 0.2, "count": 1}
    )
    doomed = await cloud.ws(user)
    closed = await doomed.receive(timeout=3)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    deviceid = (await user.device(1))["deviceid"]
    ws = await cloud.ws(user)
    await cloud.sim.acontrol("POST", "/faults", {"kind": "drop_frames", "count": 1})
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/params", {"params": {"switch": "on"}})
    assert await no_frame(ws)
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/params", {"params": {"switch": "off"}})
    assert (await next_json(ws))["params"] == {"switch": "off"}
    await ws.close()


async def test_drop_sockets(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    sockets = [await cloud.ws(user) for _ in range(2)]
    dropped = await cloud.sim.acontrol("POST", f"/accounts/{user.apikey}/drop-sockets")
    assert dropped == {"dropped": 2}
    for ws in sockets:
        closed = await ws.receive(timeout=3)
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_etiquette_spacing(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    await cloud.sim.acontrol("POST", "/settings", {"etiquette": True})
    # A stall can part two calls by more than the spacing: judge only a pair known to be close.
    for _ in range(5):
        started = time.monotonic()
        pair = [(await user.get("/v2/family"))["error"] for _ in range(2)]
        if time.monotonic() - started < SPACING_S:
            break
        # The spacing itself is under test: a sleep past it is a lower bound load cannot shorten.
        await asyncio.sleep(SPACING_S + 0.1)
    else:
        pytest.fail("no two calls landed within the spacing")
    assert pair == [0, 429]
    assert (await user.get("/v2/user/profile"))["error"] == 0
    # As above: only time passing lets a call in again, and sleeping can only make it longer.
    await asyncio.sleep(SPACING_S + 0.1)
    assert (await user.get("/v2/family"))["error"] == 0


async def test_storm_guard_blocks_repeated_handshakes(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    await cloud.sim.acontrol("POST", "/settings", {"storm_guard": True})
    statuses = []
    for _ in range(12):
        try:
            ws = await cloud.api.session.ws_connect(cloud.sim.info["websocket"])
        except aiohttp.WSServerHandshakeError as exc:
            statuses.append(exc.status)
            continue
        statuses.append(101)
        await ws.close()
    assert statuses[:10] == [101] * 10
    assert statuses[10:] == [403, 403]
    del user


async def test_counters(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(1))["deviceid"]
    await cloud.sim.acontrol("POST", "/counters/reset")
    ws = await cloud.ws(user)
    await user.get("/v2/device/thing")
    await ws.send_str(
        json.dumps(
            {
                "action": "query",
                "apikey": user.apikey,
                "deviceid": deviceid,
                "params": [],
                "sequence": "1",
            }
        )
    )
    await next_json(ws)
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/params", {"params": {"switch": "on"}})
    await next_json(ws)
    counters = await cloud.sim.acontrol("GET", "/counters")
    assert counters["connections"] == 1
    assert counters["handshakes"] == 1
    assert counters["commands_received"] == 1
    assert counters["events_pushed"] == 1
    assert counters["calls"] == {"GET /v2/device/thing": 1}
    assert counters["accounts"] == 1
    assert counters["devices"] == 1
    await ws.close()


async def test_load_generator_pushes_at_rate(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    meter = (await user.device(190))["deviceid"]
    sensor = (await user.device(1770))["deviceid"]
    ws = await cloud.ws(user)
    started = await cloud.sim.acontrol(
        "POST", "/load", {"rate": 100, "duration": 0.5, "params": "auto"}
    )
    assert started["running"] is True

    async def load_stopped() -> bool:
        return (await cloud.sim.acontrol("GET", "/load"))["running"] is False

    frames = []
    while len(frames) < 50:
        frames.append(await next_json(ws))
    assert {f["deviceid"] for f in frames} == {meter, sensor}
    powers = [f["params"]["power"] for f in frames if f["deviceid"] == meter]
    assert len(set(powers)) == len(powers), "a numeric field changes on every event"
    await async_until(load_stopped, what="the load generator to finish")
    status = await cloud.sim.acontrol("GET", "/load?records=1")
    assert status["sent"] == 50
    assert status["rate"] == 100
    assert len(status["records"]) == 50
    assert status["records"][0][0] in (meter, sensor)
    await cloud.sim.acontrol("POST", "/load", {"rate": 10, "duration": 30})
    stopped = await cloud.sim.acontrol("DELETE", "/load")
    await async_until(load_stopped, what="the stopped load generator to end")
    assert stopped["rate"] == 10
    await ws.close()


async def test_behaviour_rate_is_seeded_and_moves_devices(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(1770))["deviceid"]
    ws = await cloud.ws(user)
    await cloud.sim.acontrol("POST", "/settings", {"behaviour_rate": 40, "seed": 7})
    frame = await next_json(ws, skip_actions=("sysmsg",))
    assert frame["deviceid"] == deviceid
    assert frame["action"] == "update"
    await cloud.sim.acontrol("POST", "/settings", {"behaviour_rate": 0})
    await ws.close()


async def test_reset_wipes_and_can_load_demo(cloud: Cloud) -> None:
    await cloud.user("eu")
    wiped = await cloud.sim.acontrol("POST", "/reset", {})
    assert wiped["accounts"] == 0
    assert wiped["devices"] == 0
    demo = await cloud.sim.acontrol("POST", "/reset", {"demo": True})
    assert demo["accounts"] == 3
    assert demo["devices"] >= 25
    again = await cloud.sim.acontrol("POST", "/reset", {"demo": True})
    ids = sorted(d["deviceid"] for d in await cloud.sim.acontrol("GET", "/devices"))
    assert again["devices"] == demo["devices"]
    await cloud.sim.acontrol("POST", "/reset", {"demo": True})
    assert ids == sorted(d["deviceid"] for d in await cloud.sim.acontrol("GET", "/devices"))


async def test_alarm_sensors_write_messages(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    await user.device(5026, name="Smoke")
    await cloud.sim.acontrol("POST", "/settings", {"behaviour_rate": 60, "seed": 3})
    messages: list = []

    async def alarm_written() -> bool:
        nonlocal messages
        messages = (await user.get("/v2/message/read"))["data"]["messageList"]
        return bool(messages)

    await async_until(alarm_written, what="an alarm message")
    await cloud.sim.acontrol("POST", "/settings", {"behaviour_rate": 0})
    assert messages[0]["msgType"] == "alarmNotify_v2"
    assert messages[0]["message"]["alarm"] == "smoke"


async def test_reset_cancels_what_the_old_state_had_scheduled(cloud: Cloud) -> None:
    """A meter reports its energy shortly after a command; a reset in between must not let
    that report land in the new state (a test's history sync saw one entry too many)."""
    from cloudsim.device_changes import app_update

    await cloud.sim.acontrol("POST", "/reset", {"demo": True})
    sim = cloud.sim.cloud
    meter = next(d for d in sim.state.devices.values() if d.uiid == 5 and d.owner)
    await app_update(sim, meter, {"hundredDaysKwh": "get"}, meter.owner)
    scheduled = set(sim.state_tasks)
    assert scheduled, "the meter's follow-up report is scheduled"

    await cloud.sim.acontrol("POST", "/reset", {"demo": True})
    await asyncio.gather(*scheduled, return_exceptions=True)

    assert all(task.cancelled() for task in scheduled)
    assert meter.deviceid in sim.state.devices  # the demo is back, with the same ids
    assert not sim.state.history.get(meter.deviceid)


async def test_factory_devices_list_what_can_be_added_and_the_demo_stocks_some(
    cloud: Cloud,
) -> None:
    await cloud.sim.acontrol("POST", "/reset", {"demo": True})
    stocked = await cloud.sim.acontrol("GET", "/factory-devices")
    by_name = {d["name"]: d for d in stocked}
    assert {"Smart plug", "Two-gang switch", "GSM switch"} <= set(by_name)
    assert by_name["Two-gang switch"]["uiid"] == 2
    assert by_name["GSM switch"]["gsmId"]
    assert by_name["Smart plug"]["gsmId"] is None
    plug = by_name["Smart plug"]
    assert plug["model"] == "BASICR2"
    assert len(plug["devicekey"]) == 36
    again = await cloud.sim.acontrol("POST", "/reset", {"demo": True})
    assert again["devices"] >= 25
    assert await cloud.sim.acontrol("GET", "/factory-devices") == stocked  # same ids each run

    user = await cloud.user("eu")
    digest = hashlib.sha256((plug["deviceid"] + plug["devicekey"]).encode()).hexdigest()
    added = await user.post(
        "/v2/device/add", {"name": "Desk", "deviceid": plug["deviceid"], "digest": digest}
    )
    assert added["error"] == 0
    left = {d["deviceid"] for d in await cloud.sim.acontrol("GET", "/factory-devices")}
    assert plug["deviceid"] not in left  # owned now
    await user.delete("/v2/device", deviceid=plug["deviceid"])
    left = {d["deviceid"] for d in await cloud.sim.acontrol("GET", "/factory-devices")}
    assert plug["deviceid"] in left  # deleted: back in the factory, addable again


async def test_a_fault_with_a_probability_hits_only_that_share(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    fault = await cloud.sim.acontrol(
        "POST",
        "/faults",
        {"kind": "http_status", "path": "/v2/user/profile", "status": 500, "probability": 0.25},
    )
    url = cloud.sim.api("eu") + "/v2/user/profile"
    headers = {"Authorization": f"Bearer {user.at}"}
    statuses = []
    for _ in range(80):
        async with cloud.api.session.get(url, headers=headers) as resp:
            statuses.append(resp.status)
    failed = statuses.count(500)
    assert 5 <= failed <= 40, failed  # about a quarter, never all and never none
    assert set(statuses) == {200, 500}
    # Removed by its id, the others stay.
    other = await cloud.sim.acontrol("POST", "/faults", {"kind": "latency", "ms": 1})
    await cloud.sim.acontrol("DELETE", f"/faults/{fault['id']}")
    assert [f["id"] for f in await cloud.sim.acontrol("GET", "/faults")] == [other["id"]]
    with pytest.raises(ControlError, match="404"):
        await cloud.sim.acontrol("DELETE", f"/faults/{fault['id']}")
    for bad in (0, 1.5, "half"):
        with pytest.raises(ControlError, match="400"):
            await cloud.sim.acontrol("POST", "/faults", {"kind": "http_status", "probability": bad})


async def test_sessions_are_counted_per_account_and_app_with_their_peak(cloud: Cloud) -> None:
    user, other = await cloud.user("eu"), await cloud.user("eu")
    first = await cloud.ws(user)
    second = await cloud.ws(user)  # the same account and APPID twice at once
    third = await cloud.ws(other)
    appid = cloud.api.appid
    seen = await cloud.sim.acontrol("GET", "/sessions")
    assert seen["live"] == {user.apikey: {appid: 2}, other.apikey: {appid: 1}}
    assert seen["peak"][user.apikey][appid] == 2
    assert seen["max_peak"] == 2
    await first.close()
    await second.close()

    async def closed() -> bool:
        return user.apikey not in (await cloud.sim.acontrol("GET", "/sessions"))["live"]

    await async_until(closed, timeout=3)
    seen = await cloud.sim.acontrol("GET", "/sessions")
    assert seen["peak"][user.apikey][appid] == 2  # the peak outlives the sockets
    reset = await cloud.sim.acontrol("POST", "/sessions/reset-peaks")
    assert reset["peak"] == {other.apikey: {appid: 1}}
    assert reset["max_peak"] == 1
    await third.close()
