"""Devices, groups, sharing, history, messages and OTA against cloudsim."""

from __future__ import annotations

from typing import Any

import pytest

from cloudsim.testing import InProcessCloudsim
from ewelink import (
    DeviceFirmware,
    DeviceOfflineError,
    EWeLinkClient,
    StatusUpdate,
    ThingRef,
)
from ewelink.signing import device_digest
from tests.ewelink.conftest import ClientFactory, SimAccount, new_account

pytestmark = pytest.mark.integration


async def home_with_devices(
    sim: InProcessCloudsim, account: SimAccount, uiids: list[int], name: str = "Flat"
) -> tuple[str, list[dict[str, Any]]]:
    made = await sim.acontrol(
        "POST", f"/accounts/{account.apikey}/homes", {"name": name, "rooms": ["Kitchen"]}
    )
    devices = [
        await sim.acontrol(
            "POST",
            "/devices",
            {"owner": account.apikey, "uiid": uiid, "familyid": made["familyid"]},
        )
        for uiid in uiids
    ]
    return made["familyid"], devices


async def test_iter_things_covers_homes_shares_groups_and_pages(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me, friend = await new_account(sim), await new_account(sim)
    _, first = await home_with_devices(sim, me, [1, 1, 2], "Flat")
    _, second = await home_with_devices(sim, me, [1] * 4, "Cottage")
    _, theirs = await home_with_devices(sim, friend, [1], "Theirs")
    await sim.acontrol("POST", f"/devices/{theirs[0]['deviceid']}/share", {"to": me.apikey})
    client = await make_client.logged_in(me)
    group = await client.add_group(name="Pair", main_device_id=first[0]["deviceid"])
    things = [thing async for thing in client.iter_things()]
    ids = {thing.id for thing in things}
    assert {d["deviceid"] for d in first + second + theirs} <= ids
    assert group.group.id in ids
    shared = next(t for t in things if t.id == theirs[0]["deviceid"])
    assert shared.is_shared
    assert shared.device is not None
    assert shared.device.apikey == friend.apikey
    paged = [thing async for thing in client.iter_things(page_size=2)]
    assert sorted(t.id for t in paged) == sorted(t.id for t in things)


async def test_status_read_and_control(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    me = await new_account(sim)
    _, devices = await home_with_devices(sim, me, [1, 2])
    plug, strip = devices[0]["deviceid"], devices[1]["deviceid"]
    client = await make_client.logged_in(me)
    await client.set_status(plug, {"switch": "on"})
    assert (await client.get_status(plug, ["switch"])) == {"switch": "on"}
    assert (await sim.acontrol("GET", f"/devices/{plug}"))["params"]["switch"] == "on"
    results = await client.set_status_batch(
        [
            StatusUpdate(plug, {"switch": "off"}),
            StatusUpdate(strip, {"switches": [{"switch": "on", "outlet": 1}]}),
        ],
        timeout_ms=2000,
    )
    assert [(r.id, r.ok) for r in results] == [(plug, True), (strip, True)]
    assert (await client.get_status(plug))["switch"] == "off"
    await sim.acontrol("POST", f"/devices/{plug}/online", {"online": False})
    with pytest.raises(DeviceOfflineError):
        await client.set_status(plug, {"switch": "on"})
    specified = await client.get_specified_things([ThingRef(1, plug), ThingRef(1, strip)])
    assert {t.id for t in specified} == {plug, strip}


async def test_add_rename_tag_settings_delete(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    familyid, _ = await home_with_devices(sim, me, [])
    factory = await sim.acontrol("POST", "/devices", {"uiid": 1})
    gsm = await sim.acontrol("POST", "/devices", {"uiid": 1, "gsmId": "abc123"})
    client = await make_client.logged_in(me)
    await client.switch_home(familyid)
    added = await client.add_device(
        name="New plug",
        deviceid=factory["deviceid"],
        digest=device_digest(factory["deviceid"], factory["devicekey"]),
        familyid=familyid,
    )
    assert added.device is not None
    assert added.device.name == "New plug"
    gsm_things = await client.add_gsm_device(gsm_id="abc123", name="Barn")
    assert [t.id for t in gsm_things] == [gsm["deviceid"]]
    homes = await client.get_homes()
    room = next(h for h in homes.homes if h.id == familyid).rooms[0]
    await client.update_device_info(added.id, name="Renamed", roomid=room.id)
    tagged = await client.set_tags(added.id, {"ck_channel_name": {"0": "Lamp"}})
    assert tagged is None or tagged.device is not None
    merged = await client.set_tags(added.id, {"note": "x"}, merge=True)
    assert merged is None or merged.device is not None
    await client.set_device_settings(added.id, {"opsNotify": 1})
    state = await sim.acontrol("GET", f"/devices/{added.id}")
    assert (state["name"], state["roomid"]) == ("Renamed", room.id)
    assert state["tags"] == {"ck_channel_name": {"0": "Lamp"}, "note": "x"}
    await client.delete_device(added.id)
    assert (await sim.acontrol("GET", f"/devices/{added.id}"))["owner"] is None


async def test_groups(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    me = await new_account(sim)
    _, devices = await home_with_devices(sim, me, [1, 1, 1])
    ids = [d["deviceid"] for d in devices]
    client = await make_client.logged_in(me)
    await client.switch_home(devices[0]["familyid"])
    created = await client.add_group(name="Lights", main_device_id=ids[0], deviceids=[ids[1]])
    group_id = created.group.id
    assert created.group.is_group
    await client.rename_group(group_id, "All lights")
    added = await client.add_to_group(group_id, [ids[2]])
    assert ids[2] in {t.id for t in added}
    removed = await client.remove_from_group(group_id, [ids[1]])
    assert ids[1] in {t.id for t in removed}
    await client.set_group_devices(group_id, [ids[0], ids[1]])
    await client.set_group_status(group_id, {"switch": "on"})
    await client.set_status(group_id, {"switch": "on"}, type=2)
    groups = await client.get_groups()
    assert [(g.id, g.name) for g in groups] == [(group_id, "All lights")]
    await client.delete_group(group_id)
    assert await client.get_groups() == []


async def test_sharing(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    me, friend = await new_account(sim), await new_account(sim)
    _, devices = await home_with_devices(sim, me, [1])
    deviceid = devices[0]["deviceid"]
    client = await make_client.logged_in(me)
    updated = await client.share_devices([deviceid], email=friend.email, permit=15)
    assert deviceid in {t.id for t in updated}
    await client.set_share_permit(deviceid, friend.apikey, 1)
    state = await sim.acontrol("GET", f"/devices/{deviceid}")
    assert state["shared_with"] == [{"apikey": friend.apikey, "permit": 1}]
    friend_client = await make_client.logged_in(friend)
    visible = [t async for t in friend_client.iter_things()]
    assert [t.id for t in visible if t.is_shared] == [deviceid]
    await client.cancel_share(deviceid, friend.apikey)
    assert (await sim.acontrol("GET", f"/devices/{deviceid}"))["shared_with"] == []
    inbox = [m async for m in friend_client.iter_messages()]
    assert [m.msg_type for m in inbox] == ["cancelShareNotify_v2", "shareNotify_v2"]
    assert inbox[0].date >= inbox[1].date


async def drive(client: EWeLinkClient, deviceid: str, times: int) -> None:
    for index in range(times):
        await client.set_status(deviceid, {"switch": "on" if index % 2 else "off"})


async def test_history_messages_and_ota(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    me = await new_account(sim)
    _, devices = await home_with_devices(sim, me, [1])
    deviceid = devices[0]["deviceid"]
    client = await make_client.logged_in(me)
    await drive(client, deviceid, 35)
    page = await client.get_history(deviceid, num=10)
    assert len(page) == 10
    assert all(entry.deviceid == deviceid for entry in page)
    everything = [entry async for entry in client.iter_history(deviceid, page_size=10)]
    assert len(everything) == 35  # identical entries in one ms are kept apart
    assert [e.ops_time for e in everything] == sorted(
        (e.ops_time for e in everything), reverse=True
    )
    await client.clear_history(deviceid)
    assert await client.get_history(deviceid) == []
    firmware = DeviceFirmware(deviceid, "PSF-B01-GL", "1.0.0")
    infos = await client.get_ota_info([firmware])
    assert all(info.deviceid == deviceid for info in infos)


async def test_dispatch_points_at_the_websocket(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    client = await make_client.logged_in(me)
    info = await client.dispatch()
    url = client.http.endpoints.websocket(info.domain, info.port, client.region)
    assert url == sim.info["websocket"]
