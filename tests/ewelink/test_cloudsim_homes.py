"""Homes and rooms against cloudsim."""

from __future__ import annotations

import pytest

from cloudsim.testing import InProcessCloudsim
from ewelink import ThingRef
from tests.ewelink.conftest import ClientFactory, new_account

pytestmark = pytest.mark.integration


async def test_home_and_room_lifecycle(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    account = await new_account(sim)
    client = await make_client.logged_in(account)
    before = await client.get_homes()
    home = await client.add_home("Cottage", room_names=["Kitchen", "Garden"])
    assert [room.name for room in home.rooms] == ["Kitchen", "Garden"]
    room = await client.add_room(home.id, "Attic")
    assert room.name == "Attic"
    await client.rename_home("Summer cottage", home.id)
    await client.rename_room(room.id, "Loft")
    ids = [r.id for r in home.rooms] + [room.id]
    await client.sort_rooms(list(reversed(ids)), home.id)
    homes = await client.get_homes()
    cottage = next(h for h in homes.homes if h.id == home.id)
    assert cottage.name == "Summer cottage"
    assert [r.name for r in sorted(cottage.rooms, key=lambda r: r.index)] == [
        "Loft",
        "Garden",
        "Kitchen",
    ]
    await client.switch_home(home.id)
    assert (await client.get_homes()).current_id == home.id
    await client.delete_room(room.id)
    cottage = next(h for h in (await client.get_homes()).homes if h.id == home.id)
    assert room.id not in [r.id for r in cottage.rooms]
    other = before.homes[0].id if before.homes else (await client.add_home("Main")).id
    await client.delete_home(home.id, move_things_to=other, switch_to=other)
    assert home.id not in [h.id for h in (await client.get_homes()).homes]


async def test_sort_and_move_things(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    account = await new_account(sim)
    made = await sim.acontrol(
        "POST", f"/accounts/{account.apikey}/homes", {"name": "Flat", "rooms": ["A", "B"]}
    )
    familyid, room_a = made["familyid"], made["rooms"][0]["id"]
    devices = [
        await sim.acontrol(
            "POST", "/devices", {"owner": account.apikey, "uiid": 1, "familyid": familyid}
        )
        for _ in range(2)
    ]
    refs = [ThingRef(1, d["deviceid"]) for d in devices]
    client = await make_client.logged_in(account)
    await client.sort_things(list(reversed(refs)), familyid)
    page = await client.get_things(familyid=familyid, num=0)
    assert [t.id for t in sorted(page.things, key=lambda t: t.index)] == [
        refs[1].id,
        refs[0].id,
    ]
    await client.move_things(room_a, [], refs)
    moved = await sim.acontrol("GET", f"/devices/{refs[0].id}")
    assert moved["roomid"] == room_a
