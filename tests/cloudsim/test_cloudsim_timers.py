"""Device timers run on the cloud's clock, and OTA upgrades that fail or hang.

Over real HTTP and websockets against an in-process cloudsim: timers are set the way an app
sets them (`update` with the whole array), the clock moves through `/_sim/clock`.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest

from cloudsim.testing import ControlError, start_cloudsim
from cloudsim.timers import cron_weekday, iso, parse_iso
from tests.cloudsim.simclient import Cloud, User, next_json, no_frame

pytestmark = pytest.mark.integration


def update(user: User, deviceid: str, params: dict[str, Any], seq: str = "1") -> str:
    frame = {
        "action": "update",
        "apikey": user.apikey,
        "deviceid": deviceid,
        "params": params,
        "userAgent": "app",
        "sequence": seq,
        "ts": 0,
    }
    return json.dumps(frame)


def once(at: datetime, mid: str = "t1", enabled: int = 1, **do: Any) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "mId": mid,
        "type": "once",
        "at": iso(at),
        "do": do or {"switch": "on"},
        "coolkit_timer_type": "once",
    }


async def sim_now(cloud: Cloud) -> datetime:
    return parse_iso((await cloud.sim.aclock())["now"])


async def set_timers(
    user: User, ws: aiohttp.ClientWebSocketResponse, deviceid: str, timers: list[Any]
) -> None:
    """As the app does: the whole array in one `update`; wait for the device's reply."""
    await ws.send_str(update(user, deviceid, {"timers": timers}, seq="timers"))
    reply = await next_json(ws)
    assert (reply["sequence"], reply["error"]) == ("timers", 0), reply


async def state(cloud: Cloud, deviceid: str) -> dict[str, Any]:
    return await cloud.sim.acontrol("GET", f"/devices/{deviceid}")


async def test_a_once_timer_fires_when_the_clock_passes_it_then_shows_disabled(
    cloud: Cloud,
) -> None:
    owner, friend = await cloud.user("eu"), await cloud.user("eu")
    deviceid = (await owner.device(1))["deviceid"]
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/share", {"to": friend.apikey})
    app, friend_ws = await cloud.ws(owner), await cloud.ws(friend)
    timer = once(await sim_now(cloud) + timedelta(hours=1))
    await set_timers(owner, app, deviceid, [timer])
    assert (await next_json(friend_ws))["params"] == {"timers": [timer]}

    early = await cloud.sim.aadvance_clock(1800)
    assert early["fired"] == 0
    assert early["offset_s"] >= 1800
    assert await no_frame(app)
    assert (await state(cloud, deviceid))["params"]["switch"] == "off"

    moved = await cloud.sim.aadvance_clock(1860)
    assert moved["fired"] == 1
    for ws in (app, friend_ws):  # the owner's and the sharee's sockets, like a device change
        switched = await next_json(ws)
        assert switched["action"] == "update"
        assert switched["userAgent"] == "device"
        assert switched["deviceid"] == deviceid
        assert switched["params"] == {"switch": "on"}
        shown = await next_json(ws)
        assert shown["params"] == {"timers": [timer | {"enabled": 0}]}
    after = await state(cloud, deviceid)
    assert after["params"]["switch"] == "on"
    assert after["params"]["timers"][0]["enabled"] == 0
    history = await owner.get("/v2/device/history", deviceid=deviceid)
    latest = history["data"]["histories"][0]
    assert (latest["userAgent"], json.loads(latest["request"])) == ("device", {"switch": "on"})

    assert (await cloud.sim.aadvance_clock(86400))["fired"] == 0, "a once timer fires once"
    await app.close()
    await friend_ws.close()


async def test_a_repeat_timer_fires_on_its_utc_weekday_only(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    deviceid = (await owner.device(1))["deviceid"]
    app = await cloud.ws(owner)
    first = (await sim_now(cloud) + timedelta(hours=1)).replace(second=0, microsecond=0)
    target = first + timedelta(days=2)
    timer = {
        "enabled": 1,
        "mId": "weekly",
        "type": "repeat",
        "at": f"{first.minute} {first.hour} * * {cron_weekday(target)}",
        "do": {"switch": "on"},
        "coolkit_timer_type": "repeat",
    }
    await set_timers(owner, app, deviceid, [timer])

    skipped = await cloud.sim.aset_clock(iso(first + timedelta(days=1, minutes=1)))
    assert skipped["fired"] == 0, "two moments passed, neither on the timer's weekday"
    assert (await state(cloud, deviceid))["params"]["switch"] == "off"

    hit = await cloud.sim.aset_clock(iso(target + timedelta(minutes=1)))
    assert hit["fired"] == 1
    assert (await next_json(app))["params"] == {"switch": "on"}
    assert await no_frame(app), "a repeat timer stays enabled: no timers report"
    assert (await state(cloud, deviceid))["params"]["timers"] == [timer]

    week = await cloud.sim.aset_clock(iso(target + timedelta(days=6, minutes=1)))
    assert week["fired"] == 0, "the next matching day is a week later"
    assert (await cloud.sim.aadvance_clock(86400))["fired"] == 1
    await app.close()


async def test_a_loop_timer_alternates_start_and_end(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    deviceid = (await owner.device(1))["deviceid"]
    app = await cloud.ws(owner)
    start = await sim_now(cloud)
    timer = {
        "enabled": 1,
        "mId": "loop",
        "type": "duration",
        "at": f"{iso(start)} 10 5",
        "startDo": {"switch": "on"},
        "endDo": {"switch": "off"},
        "coolkit_timer_type": "duration",
    }
    await set_timers(owner, app, deviceid, [timer])
    seen = []
    for minutes, expected in ((10, "on"), (5, "off"), (10, "on")):
        assert (await cloud.sim.aadvance_clock(minutes * 60 + 1))["fired"] == 1
        seen.append((await next_json(app))["params"]["switch"])
        assert (await state(cloud, deviceid))["params"]["switch"] == expected
    assert seen == ["on", "off", "on"]
    # A longer jump runs every step in between, in time order.
    assert (await cloud.sim.aadvance_clock(30 * 60))["fired"] == 4
    steps = [(await next_json(app))["params"]["switch"] for _ in range(4)]
    assert steps == ["off", "on", "off", "on"]
    await app.close()


async def test_disabled_timers_and_offline_devices_do_nothing(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    idle, unplugged = (await owner.device(1))["deviceid"], (await owner.device(1))["deviceid"]
    app = await cloud.ws(owner)
    at = await sim_now(cloud) + timedelta(minutes=5)
    await set_timers(owner, app, idle, [once(at, enabled=0)])
    await set_timers(owner, app, unplugged, [once(at)])
    await cloud.sim.acontrol("POST", f"/devices/{unplugged}/online", {"online": False})
    assert (await next_json(app))["action"] == "sysmsg"

    assert (await cloud.sim.aadvance_clock(600))["fired"] == 0
    assert await no_frame(app)
    for deviceid, enabled in ((idle, 0), (unplugged, 1)):
        params = (await state(cloud, deviceid))["params"]
        assert params["switch"] == "off"
        assert params["timers"][0]["enabled"] == enabled
    # Back online later: the moment has passed, nothing fires.
    await cloud.sim.acontrol("POST", f"/devices/{unplugged}/online", {"online": True})
    assert (await next_json(app))["action"] == "sysmsg"
    assert (await cloud.sim.aadvance_clock(600))["fired"] == 0
    assert (await state(cloud, unplugged))["params"]["switch"] == "off"
    await app.close()


async def test_a_multi_channel_action_merges_by_outlet(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    deviceid = (await owner.device(2))["deviceid"]
    app = await cloud.ws(owner)
    at = await sim_now(cloud) + timedelta(minutes=1)
    action = {"switches": [{"switch": "on", "outlet": 1}]}
    await set_timers(owner, app, deviceid, [once(at, **action)])
    assert (await cloud.sim.aadvance_clock(61))["fired"] == 1
    assert (await next_json(app))["params"] == action
    switches = (await state(cloud, deviceid))["params"]["switches"]
    by_outlet = {s["outlet"]: s["switch"] for s in switches}
    assert (by_outlet[0], by_outlet[1]) == ("off", "on")
    await app.close()


async def test_timers_fire_in_real_time_without_moving_the_clock(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    deviceid = (await owner.device(1))["deviceid"]
    app = await cloud.ws(owner)
    await set_timers(owner, app, deviceid, [once(await sim_now(cloud) + timedelta(seconds=2))])
    started = time.monotonic()
    switched = await next_json(app, wait=6)
    assert switched["params"] == {"switch": "on"}
    assert time.monotonic() - started >= 1.0, "not before its moment"
    assert (await next_json(app))["params"]["timers"][0]["enabled"] == 0
    assert (await cloud.sim.aclock())["offset_s"] == 0
    await app.close()


async def test_clock_control_rules(cloud: Cloud) -> None:
    shown = await cloud.sim.aclock()
    assert shown["offset_s"] == 0
    assert abs((parse_iso(shown["now"]) - await sim_now(cloud)).total_seconds()) < 5
    for body in ({}, {"advance_s": -1}, {"advance_s": "9"}, {"set": "yesterday"},
                 {"set": iso(parse_iso(shown["now"]) - timedelta(hours=1))},
                 {"advance_s": 1, "set": shown["now"]}):  # fmt: skip
        with pytest.raises(ControlError, match="400"):
            await cloud.sim.acontrol("POST", "/clock", body)
    assert (await cloud.sim.aadvance_clock(3600))["offset_s"] == 3600
    await cloud.sim.acontrol("POST", "/reset", {})
    assert (await cloud.sim.aclock())["offset_s"] == 0


def upgrade(user: User, deviceid: str, version: str, seq: str) -> str:
    frame = {
        "action": "upgrade",
        "apikey": user.apikey,
        "deviceid": deviceid,
        "userAgent": "app",
        "sequence": seq,
        "ts": 0,
        "params": {"model": "ESP8266", "version": version, "binList": []},
    }
    return json.dumps(frame)


async def offered(user: User, deviceid: str, version: str) -> list[str]:
    infos = [{"deviceid": deviceid, "model": "ESP8266", "version": version}]
    reply = await user.post("/v2/device/ota/query", {"deviceInfoList": infos})
    return [item["version"] for item in reply["data"]["otaInfoList"]]


async def test_a_failed_upgrade_comes_back_on_the_old_firmware(cloud: Cloud) -> None:
    await cloud.sim.acontrol("POST", "/settings", {"ota_reboot_s": 0.2})
    owner = await cloud.user("eu")
    deviceid = (await owner.device(1, fwVersion="3.7.0"))["deviceid"]
    assert await offered(owner, deviceid, "3.7.0") == []
    pending = await cloud.sim.aset_ota(deviceid, version="3.8.0", outcome="fail")
    assert (pending["ota_version"], pending["ota_outcome"]) == ("3.8.0", "fail")
    assert await offered(owner, deviceid, "3.7.0") == ["3.8.0"]
    app = await cloud.ws(owner)
    await app.send_str(upgrade(owner, deviceid, "3.8.0", "u1"))
    assert (await next_json(app))["error"] == 0
    assert (await next_json(app))["params"] == {"online": False}
    assert (await next_json(app))["params"] == {"online": True}
    report = await next_json(app)
    assert (report["action"], report["params"]) == ("update", {"fwVersion": "3.7.0"})
    after = await state(cloud, deviceid)
    assert (after["fwVersion"], after["online"]) == ("3.7.0", True)
    assert await offered(owner, deviceid, "3.7.0") == ["3.8.0"], "the offer stands"
    await app.close()


async def test_a_hung_upgrade_stays_offline_until_revived(cloud: Cloud) -> None:
    await cloud.sim.acontrol("POST", "/settings", {"ota_reboot_s": 0.2})
    owner = await cloud.user("eu")
    deviceid = (await owner.device(1, fwVersion="3.7.0", ota={"version": "3.8.0"}))["deviceid"]
    await cloud.sim.aset_ota(deviceid, outcome="hang")
    app = await cloud.ws(owner)
    await app.send_str(upgrade(owner, deviceid, "3.8.0", "u1"))
    assert (await next_json(app))["error"] == 0
    assert (await next_json(app))["params"] == {"online": False}
    assert await no_frame(app, within=1.0), "no reboot on its own"
    hung = await state(cloud, deviceid)
    assert (hung["online"], hung["ota_hung"]) == (False, True)
    await app.send_str(update(owner, deviceid, {"switch": "on"}, seq="x"))
    assert (await next_json(app))["error"] == 503

    revived = await cloud.sim.acontrol("POST", f"/devices/{deviceid}/online", {"online": True})
    assert (revived["online"], revived["ota_hung"], revived["fwVersion"]) == (True, False, "3.7.0")
    assert (await next_json(app))["params"] == {"online": True}
    assert (await next_json(app))["params"] == {"fwVersion": "3.7.0"}
    await app.close()


async def test_ota_control_rejects_bad_input(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    deviceid = (await owner.device(1))["deviceid"]
    for body in ({}, {"outcome": "explode"}, {"version": 3}, {"version": " "}):
        with pytest.raises(ControlError, match="400"):
            await cloud.sim.acontrol("POST", f"/devices/{deviceid}/ota", body)
    with pytest.raises(ControlError, match="404"):
        await cloud.sim.aset_ota("nope", outcome="fail")
    cleared = await cloud.sim.acontrol("POST", f"/devices/{deviceid}/ota", {"version": None})
    assert (cleared["ota_version"], cleared["ota_outcome"]) == (None, "succeed")


def test_the_subprocess_handle_moves_the_clock_and_sets_ota() -> None:
    with start_cloudsim() as sim:
        assert sim.clock()["offset_s"] == 0
        assert sim.advance_clock(90)["offset_s"] == 90
        later = parse_iso(sim.clock()["now"]) + timedelta(days=1)
        assert sim.set_clock(iso(later))["fired"] == 0
        assert sim.clock()["offset_s"] >= 86400
        owner = sim.control(
            "POST", "/accounts", {"region": "eu", "email": "o@example.com", "password": "pw"}
        )
        device = sim.control("POST", "/devices", {"owner": owner["apikey"], "uiid": 1})
        shown = sim.set_ota(device["deviceid"], outcome="hang", version="9.0.0")
        assert (shown["ota_outcome"], shown["ota_version"]) == ("hang", "9.0.0")
