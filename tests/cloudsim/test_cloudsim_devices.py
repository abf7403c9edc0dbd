"""[Device] category: thing lists, status, control over REST, add/delete, tags, history, OTA."""

from __future__ import annotations

import hashlib

from tests.cloudsim.simclient import Cloud


async def test_thing_list_shape_defaults_and_paging(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    for _ in range(33):
        await user.device(1)
    first = await user.get("/v2/device/thing")
    assert first["error"] == 0
    assert first["data"]["total"] == 33
    assert len(first["data"]["thingList"]) == 30
    item = first["data"]["thingList"][0]
    assert item["itemType"] == 1
    assert isinstance(item["index"], int)
    data = item["itemData"]
    for key in (
        "name",
        "deviceid",
        "apikey",
        "extra",
        "brandName",
        "productModel",
        "family",
        "devicekey",
        "online",
        "params",
        "settings",
        "tags",
    ):
        assert key in data, key
    assert data["apikey"] == user.apikey
    assert data["extra"]["uiid"] == 1
    assert len(data["deviceid"]) == 10
    assert int(data["deviceid"], 16) >= 0
    everything = await user.get("/v2/device/thing", num=0)
    assert len(everything["data"]["thingList"]) == 33
    last_index = everything["data"]["thingList"][-1]["index"]
    tail = await user.get("/v2/device/thing", num=0, beginIndex=last_index)
    assert len(tail["data"]["thingList"]) == 1
    assert (await user.get("/v2/device/thing", num="x"))["error"] == 400
    assert (await user.get("/v2/device/thing", num=-1))["error"] == 400


async def test_thing_list_per_home(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    home = await cloud.sim.acontrol(
        "POST", f"/accounts/{user.apikey}/homes", {"name": "Cottage", "rooms": ["Barn"]}
    )
    await user.device(1, familyid=home["familyid"], roomid=home["rooms"][0]["id"])
    await user.device(1)
    current = await user.get("/v2/device/thing")
    assert current["data"]["total"] == 1
    other = await user.get("/v2/device/thing", familyid=home["familyid"])
    assert other["data"]["thingList"][0]["itemData"]["family"]["roomid"] == home["rooms"][0]["id"]
    stranger = await cloud.user("eu")
    assert (await stranger.get("/v2/device/thing", familyid=home["familyid"]))["error"] == 406


async def test_specified_things_limits_and_visibility(cloud: Cloud) -> None:
    user, other = await cloud.user("eu"), await cloud.user("eu")
    mine = await user.device(1)
    theirs = await other.device(1)
    reply = await user.post(
        "/v2/device/thing",
        {
            "thingList": [
                {"itemType": 1, "id": mine["deviceid"]},
                {"itemType": 1, "id": theirs["deviceid"]},
            ]
        },
    )
    assert [t["itemData"]["deviceid"] for t in reply["data"]["thingList"]] == [mine["deviceid"]]
    eleven = [{"itemType": 1, "id": mine["deviceid"]}] * 11
    assert (await user.post("/v2/device/thing", {"thingList": eleven}))["error"] == 400
    assert (await user.post("/v2/device/thing", {"thingList": []}))["error"] == 400
    assert (await user.post("/v2/device/thing", {"thingList": "x"}))["error"] == 400


async def test_status_get_and_post(cloud: Cloud) -> None:
    user, other = await cloud.user("eu"), await cloud.user("eu")
    device = await user.device(2)
    deviceid = device["deviceid"]
    status = await user.get(
        "/v2/device/thing/status", type=1, id=deviceid, params="switches|fwVersion"
    )
    assert set(status["data"]["params"]) == {"switches", "fwVersion"}
    body = {"type": 1, "id": deviceid, "params": {"switches": [{"switch": "on", "outlet": 1}]}}
    assert (await user.post("/v2/device/thing/status", body))["error"] == 0
    state = await cloud.sim.acontrol("GET", f"/devices/{deviceid}")
    assert state["params"]["switches"] == [
        {"switch": "off", "outlet": 0},
        {"switch": "on", "outlet": 1},
    ]
    assert (await other.get("/v2/device/thing/status", type=1, id=deviceid))["error"] == 406
    assert (await user.get("/v2/device/thing/status", type=1, id="ffffffffff"))["error"] == 405
    assert (await user.get("/v2/device/thing/status", type=3, id=deviceid))["error"] == 400
    bad = {"type": 1, "id": deviceid, "params": {"switches": [{"switch": "on", "outlet": 7}]}}
    assert (await user.post("/v2/device/thing/status", bad))["error"] == 400
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/online", {"online": False})
    offline = await user.post("/v2/device/thing/status", body)
    assert offline["error"] == 4002


async def test_batch_status_limits_and_results(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    a, b = await user.device(1), await user.device(1, online=False)
    things = [{"type": 1, "id": d["deviceid"], "params": {"switch": "on"}} for d in (a, b)]
    quick = await user.post("/v2/device/thing/batch-status", {"thingList": things})
    assert [r["error"] for r in quick["data"]["respList"]] == [0, 0]
    waited = await user.post("/v2/device/thing/batch-status", {"thingList": things, "timeout": 100})
    assert [r["error"] for r in waited["data"]["respList"]] == [0, 30022]
    over = await user.post("/v2/device/thing/batch-status", {"thingList": things, "timeout": 8001})
    assert over["error"] == 400
    dup = await user.post("/v2/device/thing/batch-status", {"thingList": things[:1] * 2})
    assert dup["error"] == 400


async def test_add_device_with_digest(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    factory = await cloud.sim.acontrol("POST", "/devices", {"uiid": 1, "name": "boxed"})
    assert factory["owner"] is None
    deviceid, key = factory["deviceid"], factory["devicekey"]
    digest = hashlib.sha256((deviceid + key).encode()).hexdigest()
    wrong = await user.post(
        "/v2/device/add", {"name": "n", "deviceid": deviceid, "digest": "00" * 32}
    )
    assert wrong["error"] == 30015
    bad_id = await user.post("/v2/device/add", {"name": "n", "deviceid": "XYZ", "digest": digest})
    assert bad_id["error"] == 30010
    added = await user.post(
        "/v2/device/add", {"name": "Desk lamp", "deviceid": deviceid, "digest": digest, "sort": 2}
    )
    assert added["error"] == 0
    assert added["data"]["itemType"] == 1
    assert added["data"]["itemData"]["name"] == "Desk lamp"
    assert (await user.get("/v2/device/thing"))["data"]["total"] == 1


async def test_update_info_delete_and_ownership(cloud: Cloud) -> None:
    user, other = await cloud.user("eu"), await cloud.user("eu")
    device = await user.device(1)
    deviceid = device["deviceid"]
    room = await user.post(
        "/v2/family/room", {"familyid": device["familyid"], "name": "Den", "sort": 2}
    )
    ok = await user.post(
        "/v2/device/update-info",
        {"deviceid": deviceid, "name": "Renamed", "roomid": room["data"]["id"]},
    )
    assert ok["error"] == 0
    state = await cloud.sim.acontrol("GET", f"/devices/{deviceid}")
    assert state["name"] == "Renamed"
    assert state["roomid"] == room["data"]["id"]
    assert (await other.post("/v2/device/update-info", {"deviceid": deviceid, "name": "x"}))[
        "error"
    ] == 406
    assert (await other.delete("/v2/device", deviceid=deviceid))["error"] == 406
    assert (await user.delete("/v2/device", deviceid=deviceid))["error"] == 0
    assert (await user.get("/v2/device/thing"))["data"]["total"] == 0


async def test_tags_replace_and_merge(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(2))["deviceid"]
    first = await user.post(
        "/v2/device/tags", {"deviceid": deviceid, "tags": {"key1": "value1", "key2": "value2"}}
    )
    assert first["data"]["updatedThing"]["itemData"]["tags"] == {"key1": "value1", "key2": "value2"}
    merged = await user.post(
        "/v2/device/tags", {"deviceid": deviceid, "type": "merge", "tags": {"key3": "value3"}}
    )
    assert merged["data"]["updatedThing"]["itemData"]["tags"] == {
        "key1": "value1",
        "key2": "value2",
        "key3": "value3",
    }
    replaced = await user.post(
        "/v2/device/tags", {"deviceid": deviceid, "tags": {"key3": "value3"}}
    )
    assert replaced["data"]["updatedThing"]["itemData"]["tags"] == {"key3": "value3"}
    assert (await user.post("/v2/device/tags", {"deviceid": deviceid, "type": "x", "tags": {}}))[
        "error"
    ] == 400


async def test_device_settings(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(1))["deviceid"]
    reply = await user.post(
        "/v2/device/settings", {"deviceid": deviceid, "settings": {"opsNotify": 1}}
    )
    assert reply["data"]["updatedThing"]["itemData"]["settings"]["opsNotify"] == 1
    bad = await user.post(
        "/v2/device/settings", {"deviceid": deviceid, "settings": {"opsHistory": 5}}
    )
    assert bad["error"] == 400


async def test_history_written_on_changes_and_cleaned(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(1))["deviceid"]
    await user.post(
        "/v2/device/thing/status", {"type": 1, "id": deviceid, "params": {"switch": "on"}}
    )
    await cloud.sim.acontrol("POST", f"/devices/{deviceid}/params", {"params": {"switch": "off"}})
    history = await user.get("/v2/device/history", deviceid=deviceid)
    entries = history["data"]["histories"]
    assert [e["userAgent"] for e in entries] == ["device", "app"]
    assert entries[1]["opsAccount"] == user.email
    assert entries[1]["opsSwitchs"] == ["switch"]
    assert '"switch":"on"' in entries[1]["request"]
    one = await user.get("/v2/device/history", deviceid=deviceid, num=1)
    assert len(one["data"]["histories"]) == 1
    older = await user.get(
        "/v2/device/history", deviceid=deviceid, **{"from": entries[0]["opsTime"]}
    )
    assert all(e["opsTime"] < entries[0]["opsTime"] for e in older["data"]["histories"])
    assert (await user.get("/v2/device/history", deviceid=deviceid, num=31))["error"] == 400
    assert (await user.get("/v2/device/history", deviceid=deviceid, num=0))["error"] == 400
    assert (await user.delete("/v2/device/history", deviceid=deviceid))["error"] == 0
    assert (await user.get("/v2/device/history", deviceid=deviceid))["data"]["histories"] == []


async def test_ota_query(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    new = await user.device(1, fwVersion="3.7.0", ota={"version": "3.7.2"})
    current = await user.device(1)
    infos = [
        {"deviceid": d["deviceid"], "model": "ESP8266", "version": d["fwVersion"]}
        for d in (new, current)
    ]
    reply = await user.post("/v2/device/ota/query", {"deviceInfoList": infos})
    found = reply["data"]["otaInfoList"]
    assert [f["deviceid"] for f in found] == [new["deviceid"]]
    assert found[0]["version"] == "3.7.2"
    assert found[0]["binList"][0]["downloadUrl"]
    assert (await user.post("/v2/device/ota/query", {"deviceInfoList": []}))["error"] == 400
    assert (await user.post("/v2/device/ota/query", {"deviceInfoList": infos[:1] * 31}))[
        "error"
    ] == 400


async def test_zigbee_gang_needs_full_array_over_rest(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    deviceid = (await user.device(2256))["deviceid"]
    partial = {"type": 1, "id": deviceid, "params": {"switches": [{"switch": "on", "outlet": 0}]}}
    assert (await user.post("/v2/device/thing/status", partial))["error"] == 400
    full = {
        "type": 1,
        "id": deviceid,
        "params": {"switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 1}]},
    }
    assert (await user.post("/v2/device/thing/status", full))["error"] == 0
