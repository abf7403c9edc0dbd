"""Homes and rooms, groups, sharing, messages and the home page aggregate."""

from __future__ import annotations

from tests.cloudsim.simclient import Cloud


async def test_family_crud_and_limits(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    listing = await user.get("/v2/family")
    first = listing["data"]["familyList"][0]
    assert listing["data"]["currentFamilyId"] == first["id"]
    made = await user.post("/v2/family", {"name": "Cabin", "sort": 2, "roomNameList": ["A", "B"]})
    cabin = made["data"]
    assert [r["name"] for r in cabin["roomList"]] == ["A", "B"]
    assert cabin["index"] > first["index"]
    assert (await user.post("/v2/family", {"name": "No sort"}))["error"] == 400
    room = await user.post("/v2/family/room", {"familyid": cabin["id"], "name": "C", "sort": 1})
    assert room["data"]["index"] < cabin["roomList"][0]["index"]
    assert (await user.put("/v2/family", {"id": cabin["id"], "name": "Lodge"}))["error"] == 0
    assert (await user.put("/v2/family/room", {"id": room["data"]["id"], "name": "Cellar"}))[
        "error"
    ] == 0
    names = {f["name"] for f in (await user.get("/v2/family"))["data"]["familyList"]}
    assert names == {"My Home", "Lodge"}
    ids = [r["id"] for r in cabin["roomList"]] + [room["data"]["id"]]
    assert (await user.post("/v2/family/room/index", {"familyid": cabin["id"], "idList": ids}))[
        "error"
    ] == 0
    assert (await user.post("/v2/family/room/index", {"familyid": cabin["id"], "idList": ids[:1]}))[
        "error"
    ] == 400
    assert (await user.delete("/v2/family/room", id=room["data"]["id"]))["error"] == 0
    assert (await user.post("/v2/family/current", {"id": cabin["id"]}))["error"] == 0
    assert (await user.get("/v2/family"))["data"]["currentFamilyId"] == cabin["id"]


async def test_room_limit_is_100(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    home = await cloud.sim.acontrol(
        "POST",
        f"/accounts/{user.apikey}/homes",
        {"name": "Big", "rooms": [f"r{i}" for i in range(100)]},
    )
    reply = await user.post(
        "/v2/family/room", {"familyid": home["familyid"], "name": "one more", "sort": 2}
    )
    assert reply["error"] == 20002


async def test_delete_home_moves_things_and_keeps_one(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    first = (await user.get("/v2/family"))["data"]["currentFamilyId"]
    only = await user.delete("/v2/family", id=first, deviceFamily=first, switchFamily=first)
    assert only["error"] in (20003, 400)
    second = (await user.post("/v2/family", {"name": "Second", "sort": 2}))["data"]["id"]
    device = await user.device(1)
    reply = await user.delete("/v2/family", id=first, deviceFamily=second, switchFamily=second)
    assert reply["error"] == 0
    state = await cloud.sim.acontrol("GET", f"/devices/{device['deviceid']}")
    assert state["familyid"] == second
    assert (await user.get("/v2/family"))["data"]["currentFamilyId"] == second
    last = await user.delete("/v2/family", id=second, deviceFamily=second, switchFamily=second)
    assert last["error"] == 20003


async def test_sort_and_move_things(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    a, b = await user.device(1), await user.device(1)
    home = (await user.get("/v2/family"))["data"]["currentFamilyId"]
    things = [{"itemType": 1, "id": b["deviceid"]}, {"itemType": 1, "id": a["deviceid"]}]
    assert (await user.post("/v2/family/thing/sort", {"familyid": home, "thingList": things}))[
        "error"
    ] == 0
    order = [
        t["itemData"]["deviceid"] for t in (await user.get("/v2/device/thing"))["data"]["thingList"]
    ]
    assert order == [b["deviceid"], a["deviceid"]]
    room = await user.post("/v2/family/room", {"familyid": home, "name": "R", "sort": 2})
    roomid = room["data"]["id"]
    move = {"roomid": roomid, "oldThingList": [], "newThingList": things[:1]}
    assert (await user.post("/v2/family/room/thing", move))["error"] == 0
    assert (await cloud.sim.acontrol("GET", f"/devices/{b['deviceid']}"))["roomid"] == roomid
    wrong = {"roomid": roomid, "oldThingList": things[1:], "newThingList": []}
    assert (await user.post("/v2/family/room/thing", wrong))["error"] == 400


async def test_groups(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    main, second, other_kind = await user.device(1), await user.device(1), await user.device(2)
    made = await user.post(
        "/v2/device/group",
        {
            "name": "Lights",
            "mainDeviceId": main["deviceid"],
            "deviceidList": [second["deviceid"], other_kind["deviceid"]],
        },
    )
    assert made["error"] == 0
    assert made["data"]["itemType"] == 3
    group = made["data"]["itemData"]
    assert "deviceid" not in group
    assert group["extra"]["uiid"] == 5000
    assert group["mainDeviceId"] == main["deviceid"]
    assert {t["itemData"]["deviceid"] for t in made["data"]["updatedThingList"]} == {
        main["deviceid"],
        second["deviceid"],
    }
    groups = await user.get("/v2/device/group")
    assert [g["itemData"]["id"] for g in groups["data"]["groupList"]] == [group["id"]]
    things = await user.get("/v2/device/thing", num=0)
    assert any(t["itemType"] == 3 for t in things["data"]["thingList"])
    control = {"type": 2, "id": group["id"], "params": {"switch": "on"}}
    assert (await user.post("/v2/device/thing/status", control))["error"] == 0
    for device in (main, second):
        state = await cloud.sim.acontrol("GET", f"/devices/{device['deviceid']}")
        assert state["params"]["switch"] == "on"
    assert (await user.put("/v2/device/group", {"id": group["id"], "name": "L2"}))["error"] == 0
    assert (await user.post("/v2/device/group/status", {"id": group["id"], "params": {"x": 1}}))[
        "error"
    ] == 0
    removed = await user.post(
        "/v2/device/group/delete", {"id": group["id"], "deviceidList": [second["deviceid"]]}
    )
    assert removed["error"] == 0
    too_many = await user.post(
        "/v2/device/group/add", {"id": group["id"], "deviceidList": ["a"] * 31}
    )
    assert too_many["error"] == 400
    assert (await user.post("/v2/device/group/add", {"id": group["id"], "deviceidList": []}))[
        "error"
    ] == 400
    no_main = await user.post(
        "/v2/device/group/update", {"id": group["id"], "deviceidList": [second["deviceid"]]}
    )
    assert no_main["error"] == 400
    update = await user.post(
        "/v2/device/group/update",
        {"id": group["id"], "deviceidList": [main["deviceid"], second["deviceid"]]},
    )
    assert update["error"] == 0
    stranger = await cloud.user("eu")
    assert (await stranger.delete("/v2/device/group", id=group["id"]))["error"] == 406
    assert (await user.delete("/v2/device/group", id=group["id"]))["error"] == 0
    assert (await user.delete("/v2/device/group", id=group["id"]))["error"] == 405


async def test_share_permit_and_cancel_with_messages(cloud: Cloud) -> None:
    owner, friend = await cloud.user("eu"), await cloud.user("eu")
    abroad = await cloud.user("us")
    deviceid = (await owner.device(1, name="Shared lamp"))["deviceid"]
    body = {"deviceidList": [deviceid], "user": {"email": friend.email}, "permit": 15}
    shared = await owner.post("/v2/device/share", body)
    assert shared["error"] == 0
    share_to = shared["data"]["updatedThingList"][0]["itemData"]["shareTo"]
    assert share_to[0]["apikey"] == friend.apikey
    assert share_to[0]["permit"] == 15
    seen = (await friend.get("/v2/device/thing"))["data"]["thingList"]
    assert seen[0]["itemType"] == 2
    assert seen[0]["itemData"]["apikey"] == owner.apikey
    assert seen[0]["itemData"]["sharedBy"]["apikey"] == owner.apikey
    cross = body | {"user": {"email": abroad.email}}
    assert (await owner.post("/v2/device/share", cross))["error"] == 30008
    assert (await friend.post("/v2/device/share", body | {"user": {"email": owner.email}}))[
        "error"
    ] == 406
    permit = await owner.post(
        "/v2/device/share/permit", {"deviceid": deviceid, "apikey": friend.apikey, "permit": 3}
    )
    assert permit["data"]["updatedThingList"][0]["itemData"]["shareTo"][0]["permit"] == 3
    assert (
        await owner.post(
            "/v2/device/share/permit", {"deviceid": deviceid, "apikey": friend.apikey, "permit": 16}
        )
    )["error"] == 400
    messages = (await friend.get("/v2/message/read"))["data"]["messageList"]
    assert messages[0]["msgType"] == "shareNotify_v2"
    cancelled = await owner.delete("/v2/device/share", deviceid=deviceid, apikey=friend.apikey)
    assert cancelled["error"] == 0
    assert (await friend.get("/v2/device/thing"))["data"]["total"] == 0
    messages = (await friend.get("/v2/message/read"))["data"]["messageList"]
    assert messages[0]["msgType"] == "cancelShareNotify_v2"
    assert (await friend.get("/v2/message/read", num=31))["error"] == 400


async def test_homepage_aggregate(cloud: Cloud) -> None:
    user = await cloud.user("eu")
    await user.device(1)
    reply = await user.post(
        "/v2/homepage",
        {
            "lang": "en",
            "clientInfo": {"model": "x"},
            "getUser": {},
            "getFamily": {},
            "getThing": {"num": 10},
            "getMessage": {},
        },
    )
    data = reply["data"]
    assert data["userInfo"]["apikey"] == user.apikey
    assert data["familyInfo"]["currentFamilyId"]
    assert data["thingInfo"]["total"] == 1
    assert data["messageInfo"]["messageList"] == []
    only_user = await user.post("/v2/homepage", {"getUser": {}})
    assert set(only_user["data"]) == {"userInfo"}
    bad = await user.post("/v2/homepage", {"getMessage": {"num": 99}})
    assert bad["error"] == 400
