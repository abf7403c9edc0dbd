"""Dispatch, the userOnline handshake, heartbeat, update/query/upgrade and pushes."""

from __future__ import annotations

import json
import time

import aiohttp

from tests.cloudsim.simclient import Cloud, User, next_json, no_frame
from tests.waiting import async_until


def command(
    user: User,
    deviceid: str,
    action: str,
    params: object,
    owner: str | None = None,
    seq: str | None = None,
    **extra: object,
) -> str:
    frame = {
        "action": action,
        "apikey": owner or user.apikey,
        "selfApikey": user.apikey,
        "deviceid": deviceid,
        "params": params,
        "userAgent": "app",
        "sequence": seq or str(time.time_ns()),
        "ts": 0,
    } | extra
    return json.dumps(frame)


async def test_dispatch_points_at_this_server(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    for method in ("GET", "POST"):
        url = cloud.sim.info["regions"]["eu"]["dispatch"]
        async with cloud.api.session.request(
            method, url, headers={"Authorization": f"Bearer {user.at}"}
        ) as resp:
            data = await resp.json()
        assert data == {
            "IP": "127.0.0.1",
            "port": cloud.sim.cloud.port,
            "domain": "127.0.0.1",
            "error": 0,
            "reason": "ok",
        }
    expected = f"ws://{data['domain']}:{data['port']}/api/ws"
    assert expected == cloud.sim.info["websocket"]


async def test_handshake_reply_and_ping_pong(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    ws, reply = await cloud.ws_raw(user, sequence="1571141530100")
    assert reply["error"] == 0
    assert reply["apikey"] == user.apikey
    assert reply["config"]["hb"] == 1
    assert reply["config"]["hbInterval"] == 145
    assert reply["sequence"] == "1571141530100"
    await ws.send_str("ping")
    pong = await ws.receive(timeout=3)
    assert pong.data == "pong"
    await ws.close()


async def test_handshake_failures_close_at_once(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    for override in (
        {"at": "bogus"},
        {"apikey": "someone-else"},
        {"appid": "other"},
        {"action": "hello"},
    ):
        ws, reply = await cloud.ws_raw(user, **override)
        assert reply["error"] == 406
        assert reply["reason"] == "Authentication Failed"
        closing = await ws.receive(timeout=3)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await ws.close()
    ws = await cloud.api.session.ws_connect(cloud.sim.info["websocket"])
    await ws.send_str("{broken")
    reply = json.loads((await ws.receive(timeout=3)).data)
    assert reply["error"] == 406
    await ws.close()


async def test_heartbeat_timeout_drops_silent_socket(cloud: Cloud) -> None:
    # A 2 s grace (3 s in all): a stall in the ping loop below cannot get the pinger dropped.
    await cloud.sim.acontrol("POST", "/settings", {"hb_interval": 1, "hb_grace": 2.0})
    started = time.monotonic()
    user = await cloud.user("eu")
    ws_reply = await cloud.ws_raw(user)
    assert ws_reply[1]["config"]["hbInterval"] == 1
    pinging = await cloud.ws(user)
    silent = ws_reply[0]
    closing: list[aiohttp.WSMessage] = []

    async def silent_dropped() -> bool:
        """Ping one socket, then listen briefly for the other one's close."""
        await pinging.send_str("ping")
        assert (await pinging.receive(timeout=2)).data == "pong"
        try:
            closing.append(await silent.receive(timeout=0.3))
        except TimeoutError:
            return False
        return True

    await async_until(silent_dropped, what="the silent socket to be dropped")
    assert closing[0].type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert time.monotonic() - started >= 3.0, "not before hbInterval plus the grace"
    assert not pinging.closed
    await pinging.close()


async def test_update_replies_with_sequence_and_pushes_to_other_sockets(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    device = await owner.device(1)
    sender, other = await cloud.ws(owner), await cloud.ws(owner)
    await sender.send_str(
        command(owner, device["deviceid"], "update", {"switch": "on"}, seq="1585297259553")
    )
    reply = await next_json(sender)
    assert reply == {
        "error": 0,
        "deviceid": device["deviceid"],
        "apikey": owner.apikey,
        "sequence": "1585297259553",
    }
    push = await next_json(other)
    assert push["action"] == "update"
    assert push["userAgent"] == "device"
    assert push["deviceid"] == device["deviceid"]
    assert push["params"] == {"switch": "on"}
    assert await no_frame(sender), "the sender gets no state echo"
    state = await cloud.sim.acontrol("GET", f"/devices/{device['deviceid']}")
    assert state["params"]["switch"] == "on"
    history = await owner.get("/v2/device/history", deviceid=device["deviceid"])
    assert history["data"]["histories"][0]["userAgent"] == "app"
    await sender.close()
    await other.close()


async def test_query_returns_params(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    device = await owner.device(2)
    ws = await cloud.ws(owner)
    await ws.send_str(command(owner, device["deviceid"], "query", ["switches"], seq="7"))
    reply = await next_json(ws)
    assert reply["sequence"] == "7"
    assert reply["error"] == 0
    assert set(reply["params"]) == {"switches"}
    await ws.send_str(command(owner, device["deviceid"], "query", [], seq="8"))
    everything = await next_json(ws)
    assert {"switches", "configure", "fwVersion"} <= set(everything["params"])
    # A meter's stored energy history is answered under `config` (notes §2.4).
    meter = await owner.device(32)
    await ws.send_str(command(owner, meter["deviceid"], "query", ["hundredDaysKwhData"], seq="9"))
    history = await next_json(ws)
    assert history["error"] == 0
    assert "params" not in history
    days = history["config"]["hundredDaysKwhData"]
    assert len(days) == 600  # 6 characters a day, 100 days (notes §3.3)
    assert int(days[:2], 16) >= 1
    await ws.close()


async def shared_plug(cloud: Cloud, permit: int = 15) -> tuple[User, User, str]:
    """An owner, a friend it shares a single-channel plug with, and the plug's id."""
    owner, friend = await cloud.user("eu"), await cloud.user("eu")
    deviceid = (await owner.device(1))["deviceid"]
    await cloud.sim.acontrol(
        "POST", f"/devices/{deviceid}/share", {"to": friend.apikey, "permit": permit}
    )
    return owner, friend, deviceid


def document_form(user: User, deviceid: str, params: object, seq: str) -> str:
    """The `update` exactly as the API document writes it: the sender's own apikey only."""
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


async def shared_counts(cloud: Cloud) -> dict[str, int]:
    return (await cloud.sim.acontrol("GET", "/counters"))["shared_commands"]


async def test_sharee_update_with_its_own_apikey_as_the_document_writes_it(cloud: Cloud) -> None:
    owner, friend, deviceid = await shared_plug(cloud)
    owner_ws, friend_ws = await cloud.ws(owner), await cloud.ws(friend)
    await friend_ws.send_str(document_form(friend, deviceid, {"switch": "on"}, "1"))
    # The reply has the document's shape, naming the sender's apikey as sent.
    assert await next_json(friend_ws) == {
        "error": 0,
        "deviceid": deviceid,
        "apikey": friend.apikey,
        "sequence": "1",
    }
    pushed = await next_json(owner_ws)
    assert pushed["action"] == "update"
    assert pushed["deviceid"] == deviceid
    assert pushed["params"] == {"switch": "on"}
    assert pushed["apikey"] == owner.apikey
    assert (await cloud.sim.acontrol("GET", f"/devices/{deviceid}"))["params"]["switch"] == "on"
    history = await owner.get("/v2/device/history", deviceid=deviceid)
    assert history["data"]["histories"][0]["opsAccount"] == friend.email
    # A query in the same form answers too.
    query = json.loads(document_form(friend, deviceid, ["switch"], "2")) | {"action": "query"}
    await friend_ws.send_str(json.dumps(query))
    answer = await next_json(friend_ws)
    assert (answer["error"], answer["params"]) == (0, {"switch": "on"})
    assert await shared_counts(cloud) == {"own_apikey": 2}
    for ws in (owner_ws, friend_ws):
        await ws.close()


async def test_sharee_update_with_owner_apikey_and_self_apikey(cloud: Cloud) -> None:
    owner, friend, deviceid = await shared_plug(cloud)
    owner_ws, friend_ws = await cloud.ws(owner), await cloud.ws(friend)
    await friend_ws.send_str(
        command(friend, deviceid, "update", {"switch": "on"}, owner=owner.apikey, seq="3")
    )
    assert (await next_json(friend_ws)) == {
        "error": 0,
        "deviceid": deviceid,
        "apikey": owner.apikey,
        "sequence": "3",
    }
    pushed = await next_json(owner_ws)
    assert pushed["params"] == {"switch": "on"}
    assert pushed["apikey"] == owner.apikey
    assert await no_frame(friend_ws), "the sender gets no state echo"
    assert await shared_counts(cloud) == {"owner_apikey": 1}
    # Device-side change: everyone hears it.
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/params", {"params": {"switch": "off"}})
    for ws in (owner_ws, friend_ws):
        push = await next_json(ws)
        assert push["action"] == "update"
        assert push["params"] == {"switch": "off"}
    for ws in (owner_ws, friend_ws):
        await ws.close()


async def test_sharee_frames_that_match_neither_form_are_refused(cloud: Cloud) -> None:
    owner, friend, deviceid = await shared_plug(cloud)
    third = await cloud.user("eu")
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/share", {"to": third.apikey})
    owner_ws, friend_ws = await cloud.ws(owner), await cloud.ws(friend)
    owner_form = json.loads(
        command(friend, deviceid, "update", {"switch": "on"}, owner=owner.apikey, seq="a")
    )
    refused = {
        # The owner's apikey without selfApikey is neither form.
        "a": {k: v for k, v in owner_form.items() if k != "selfApikey"},
        # selfApikey must be the session's own apikey, in either form.
        "b": owner_form | {"selfApikey": third.apikey, "sequence": "b"},
        "c": json.loads(document_form(friend, deviceid, {"switch": "on"}, "c"))
        | {"selfApikey": owner.apikey},
        # Another sharee's apikey is not the sender's and not the owner's.
        "d": owner_form | {"apikey": third.apikey, "sequence": "d"},
    }
    for seq, frame in refused.items():
        await friend_ws.send_str(json.dumps(frame))
        reply = await next_json(friend_ws)
        assert (reply["error"], reply["sequence"]) == (406, seq), reply
        assert reply["deviceid"] == deviceid
    assert await no_frame(owner_ws), "nothing reached the owner"
    assert (await cloud.sim.acontrol("GET", f"/devices/{deviceid}"))["params"]["switch"] == "off"
    assert await shared_counts(cloud) == {}
    for ws in (owner_ws, friend_ws):
        await ws.close()


async def test_user_the_device_is_not_shared_with_is_refused_in_both_forms(cloud: Cloud) -> None:
    owner, friend, deviceid = await shared_plug(cloud)
    stranger = await cloud.user("eu")
    owner_ws, stranger_ws = await cloud.ws(owner), await cloud.ws(stranger)
    await stranger_ws.send_str(document_form(stranger, deviceid, {"switch": "on"}, "s1"))
    await stranger_ws.send_str(
        command(stranger, deviceid, "update", {"switch": "on"}, owner=owner.apikey, seq="s2")
    )
    for seq in ("s1", "s2"):
        reply = await next_json(stranger_ws)
        assert (reply["error"], reply["sequence"]) == (405, seq), reply
    # A share that ended refuses its former sharee too.
    ended = await owner.delete("/v2/device/share", deviceid=deviceid, apikey=friend.apikey)
    assert ended["error"] == 0, ended
    friend_ws = await cloud.ws(friend)
    await friend_ws.send_str(document_form(friend, deviceid, {"switch": "on"}, "f1"))
    assert (await next_json(friend_ws))["error"] == 405
    assert await no_frame(owner_ws), "nothing reached the owner"
    assert (await cloud.sim.acontrol("GET", f"/devices/{deviceid}"))["params"]["switch"] == "off"
    for ws in (owner_ws, stranger_ws, friend_ws):
        await ws.close()


def timer(mid: str, enabled: int = 1, at: str = "2030-01-01T08:00:00.000Z") -> dict[str, object]:
    return {
        "enabled": enabled,
        "mId": mid,
        "type": "once",
        "at": at,
        "do": {"switch": "on"},
        "coolkit_timer_type": "once",
    }


async def test_share_permit_guards_timers_in_both_forms(cloud: Cloud) -> None:
    """`permit` bits: 1 create, 2 edit, 4 delete, 8 enable timers (API document, Share Devices)."""
    owner, friend, deviceid = await shared_plug(cloud, permit=0)
    stored = [timer("t1")]
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/params", {"params": {"timers": stored}})
    friend_ws = await cloud.ws(friend)

    def both_forms(params: object, seq: str) -> list[str]:
        return [
            document_form(friend, deviceid, params, f"{seq}-doc"),
            command(friend, deviceid, "update", params, owner=owner.apikey, seq=f"{seq}-notes"),
        ]

    changes = {
        1: {"timers": [*stored, timer("t2")]},
        2: {"timers": [timer("t1", at="2030-01-02T08:00:00.000Z")]},
        4: {"timers": []},
        8: {"timers": [timer("t1", enabled=0)]},
    }
    for bit, params in changes.items():
        for frame in both_forms(params, f"no{bit}"):
            await friend_ws.send_str(frame)
            reply = await next_json(friend_ws, skip_actions=("update",))
            assert reply["error"] == 406, (bit, reply)
            assert "the share does not permit" in reply["reason"]
    # Switching needs no permit bit, in either form.
    for frame in both_forms({"switch": "on"}, "sw"):
        await friend_ws.send_str(frame)
        assert (await next_json(friend_ws, skip_actions=("update",)))["error"] == 0
    state = await cloud.sim.acontrol("GET", f"/devices/{deviceid}")
    assert state["params"]["timers"] == stored
    # Each bit, once granted, allows its change, in either form.
    for bit, params in changes.items():
        granted = await owner.post(
            "/v2/device/share/permit",
            {"deviceid": deviceid, "apikey": friend.apikey, "permit": bit},
        )
        assert granted["error"] == 0, granted
        for frame in both_forms(params, f"ok{bit}"):
            await cloud.sim.acontrol(
                "POST", f"/devices/{deviceid}/params", {"params": {"timers": stored}}
            )
            await friend_ws.send_str(frame)
            assert (await next_json(friend_ws, skip_actions=("update",)))["error"] == 0
            state = await cloud.sim.acontrol("GET", f"/devices/{deviceid}")
            assert state["params"]["timers"] == params["timers"]
    await friend_ws.close()


async def test_offline_503_unresponsive_504_and_sysmsg(cloud: Cloud) -> None:
    await cloud.sim.acontrol("POST", "/settings", {"device_timeout_ms": 200})
    owner = await cloud.user("eu")
    deviceid = (await owner.device(1))["deviceid"]
    ws = await cloud.ws(owner)
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/online", {"online": False})
    sysmsg = await next_json(ws)
    assert sysmsg["action"] == "sysmsg"
    assert sysmsg["params"] == {"online": False}
    assert sysmsg["deviceid"] == deviceid
    await ws.send_str(command(owner, deviceid, "update", {"switch": "on"}, seq="a"))
    offline = await next_json(ws)
    assert offline["error"] == 503
    assert offline["sequence"] == "a"
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/online", {"online": True})
    assert (await next_json(ws))["params"] == {"online": True}
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/behaviour", {"unresponsive": True})
    started = time.monotonic()
    await ws.send_str(command(owner, deviceid, "update", {"switch": "on"}, seq="b"))
    await ws.send_str("ping")  # the socket keeps serving while the device is silent
    assert (await ws.receive(timeout=2)).data == "pong"
    timeout = await next_json(ws)
    assert timeout["error"] == 504
    assert timeout["sequence"] == "b"
    assert time.monotonic() - started >= 0.15
    await cloud.sim.acontrol(
        "POST", f"/devices/{deviceid}/behaviour", {"unresponsive": False, "reply_delay_ms": 50}
    )
    await ws.send_str(command(owner, deviceid, "update", {"switch": "on"}, seq="c"))
    assert (await next_json(ws))["error"] == 0
    await ws.close()


async def test_bad_frames_never_crash(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    deviceid = (await owner.device(1))["deviceid"]
    ws = await cloud.ws(owner)
    await ws.send_str("not json")
    assert (await next_json(ws))["error"] == 400
    await ws.send_str(json.dumps({"action": "dance", "sequence": "9"}))
    unknown = await next_json(ws)
    assert unknown["error"] == 400
    assert unknown["sequence"] == "9"
    await ws.send_str(command(owner, deviceid, "update", {"switch": "maybe"}, seq="10"))
    invalid = await next_json(ws)
    assert invalid["error"] == 400
    assert invalid["sequence"] == "10"
    await ws.send_str(command(owner, deviceid, "update", "switch", seq="11"))
    assert (await next_json(ws))["error"] == 400
    await ws.send_str(
        command(owner, deviceid, "update", [{"switch": "on"}, {"startup": "on"}], seq="12")
    )
    assert (await next_json(ws))["error"] == 0
    await ws.close()


async def test_upgrade_reboots_and_reports_new_firmware(cloud: Cloud) -> None:
    await cloud.sim.acontrol("POST", "/settings", {"ota_reboot_s": 0.2})
    owner = await cloud.user("eu")
    device = await owner.device(1, fwVersion="3.7.0", ota={"version": "3.8.0"})
    ws = await cloud.ws(owner)
    params = {
        "model": "ESP8266",
        "version": "3.8.0",
        "binList": [{"downloadUrl": "http://x/user1.bin", "name": "user1.bin"}],
    }
    await ws.send_str(command(owner, device["deviceid"], "upgrade", params, seq="u1"))
    reply = await next_json(ws)
    assert reply["error"] == 0
    assert reply["sequence"] == "u1"
    assert reply["userAgent"] == "device"
    assert (await next_json(ws))["params"] == {"online": False}
    assert (await next_json(ws))["params"] == {"online": True}
    report = await next_json(ws)
    assert report["action"] == "update"
    assert report["params"] == {"fwVersion": "3.8.0"}
    state = await cloud.sim.acontrol("GET", f"/devices/{device['deviceid']}")
    assert state["fwVersion"] == "3.8.0"
    assert state["ota_version"] is None
    await ws.send_str(command(owner, device["deviceid"], "upgrade", params, seq="u2"))
    assert (await next_json(ws))["error"] == 400
    await ws.close()


async def test_zigbee_children_follow_their_bridge(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    bridge = await owner.device(168)
    child = await owner.device(3026, parentid=bridge["deviceid"])
    assert child["params"]["parentid"] == bridge["deviceid"]
    ws = await cloud.ws(owner)
    await cloud.sim.acontrol("POST", f"/devices/{bridge['deviceid']}/online", {"online": False})
    offline = {(await next_json(ws))["deviceid"] for _ in range(2)}
    assert offline == {bridge["deviceid"], child["deviceid"]}
    assert not (await cloud.sim.acontrol("GET", f"/devices/{child['deviceid']}"))["online"]
    await ws.close()


async def test_ui_active_starts_live_power_reports(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    meter = await owner.device(32, params={"switch": "on"})
    ws = await cloud.ws(owner)
    assert await no_frame(ws, 2.3), "no live values without uiActive"
    await ws.send_str(command(owner, meter["deviceid"], "update", {"uiActive": 60}, seq="ui"))
    assert (await next_json(ws))["error"] == 0
    live = await next_json(ws, wait=3)
    assert live["action"] == "update"
    assert isinstance(live["params"]["power"], str)
    assert "." in live["params"]["power"]
    await ws.close()


async def test_live_reports_can_be_turned_off_for_tests_that_set_power(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    meter = await owner.device(32, params={"switch": "on"})
    await cloud.sim.acontrol("POST", "/settings", {"live_reports": False})
    ws = await cloud.ws(owner)
    await ws.send_str(command(owner, meter["deviceid"], "update", {"uiActive": 60}, seq="ui"))
    assert (await next_json(ws))["error"] == 0
    assert await no_frame(ws, 2.5), "no live values while live reports are off"
    await ws.close()


async def test_rf_bridge_transmit_triggers_rftrig(cloud: Cloud) -> None:
    owner = await cloud.user("eu")
    bridge = await owner.device(28)
    sender, listener = await cloud.ws(owner), await cloud.ws(owner)
    await sender.send_str(
        command(owner, bridge["deviceid"], "update", {"cmd": "transmit", "rfChl": 1}, seq="rf")
    )
    assert (await next_json(sender))["error"] == 0
    assert (await next_json(listener))["params"] == {"cmd": "transmit", "rfChl": 1}
    trig = await next_json(sender)
    assert "rfTrig1" in trig["params"]
    await sender.send_str(
        command(owner, bridge["deviceid"], "update", {"cmd": "transmit", "rfChl": 40}, seq="rf2")
    )
    assert (await next_json(sender))["error"] == 400
    for ws in (sender, listener):
        await ws.close()


async def test_odd_frames_when_switched_on(cloud: Cloud) -> None:
    await cloud.sim.acontrol("POST", "/settings", {"odd_frames": True})
    owner = await cloud.user("eu")
    bridge = await owner.device(66)
    await owner.device(1770, parentid=bridge["deviceid"])
    ws = await cloud.ws(owner)
    notify = await next_json(ws)
    assert notify["action"] == "notify"
    await ws.send_str(command(owner, bridge["deviceid"], "query", [], seq="q"))
    assert (await next_json(ws))["sequence"] == "q"
    assert "sequence" not in await next_json(ws)
    await cloud.sim.acontrol("POST", f"/devices/{bridge['deviceid']}/online", {"online": False})
    frames = [await next_json(ws) for _ in range(4)]
    actions = [f.get("action") for f in frames]
    assert "reportSubDevice" in actions
    assert any(f.get("params") == {"subDevRssi": 127} for f in frames)
    await ws.close()
