"""Batch control from the browser, on a home of the demo US account made for these tests
("E2E Batch", rooms Lots and Spare, 13 devices in Lots: more than one batch call's 10).

A room switches off in one action — checked in cloudsim and on a second open page without
reload — and its offline device is reported failed with the reason; two chosen things move
to another room (cloudsim, a second page whose own selection outlives the live redraw);
Refresh brings back what the cloud says; a guest sees no buttons and a forged post is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.things import ANCHOR, forged_post

pytestmark = pytest.mark.browser

SINGLES = 12  # plus one two-gang switch: 13 things with switches in Lots


@dataclass
class Barn:
    """The test home: cloud ids and our pks."""

    apikey: str
    familyid: str
    rooms: dict[str, str]  # name → cloud room id
    room_pks: dict[str, int]
    devices: dict[str, str]  # name → deviceid
    pks: dict[str, int]  # name → thing pk


SETUP = """
import json
from django_scopes import scopes_disabled
from accounts.models import LinkedAccount
from devices.models import Room, Thing
from devices.sync import sync_account
with scopes_disabled():
    account = LinkedAccount.objects.get(apikey={apikey!r})
sync_account(account.pk)
with scopes_disabled():
    things = Thing.objects.filter(account=account, cloud_id__in={ids!r})
    rooms = Room.objects.filter(home__cloud_id={familyid!r})
    print(json.dumps({{"things": {{t.cloud_id: t.pk for t in things}},
                      "rooms": {{r.name: r.pk for r in rooms}}}}))
"""

TEARDOWN = """
from asgiref.sync import async_to_sync
from django_scopes import scopes_disabled
import ewelink
from accounts.cloud import open_client
from accounts.models import LinkedAccount
from devices.sync import sync_account
with scopes_disabled():
    account = LinkedAccount.objects.get(apikey={apikey!r})
async def run():
    async with open_client(account) as client:
        for deviceid in {ids!r}:
            try:
                await client.delete_device(deviceid)
            except ewelink.EWeLinkError:
                pass
        homes = await client.get_homes()
        await client.delete_home({familyid!r}, move_things_to=homes.current_id,
                                 switch_to=homes.current_id)
async_to_sync(run)()
sync_account(account.pk)
"""


@pytest.fixture(scope="module")
def barn(live_stack: LiveStack) -> Iterator[Barn]:
    """The home, its rooms and devices, made in cloudsim and synced in ONE subprocess;
    deleted (devices first) in one more afterwards."""
    sim = live_stack.sim
    apikey = live_stack.apikey_of(ANCHOR)
    made = sim.control(
        "POST", f"/accounts/{apikey}/homes", {"name": "E2E Batch", "rooms": ["Lots", "Spare"]}
    )
    familyid = made["familyid"]
    rooms = {room["name"]: room["id"] for room in made["rooms"]}
    place = {"owner": apikey, "familyid": familyid, "roomid": rooms["Lots"]}
    specs = [{"uiid": 1, "name": f"Batch {n:02}", "params": {"switch": "on"}, **place}
             for n in range(1, SINGLES + 1)]  # fmt: skip
    both_on = [{"switch": "on", "outlet": 0}, {"switch": "on", "outlet": 1}]
    specs.append({"uiid": 2, "name": "Batch gang", "params": {"switches": both_on}, **place})
    devices = {s["name"]: str(sim.control("POST", "/devices", s)["deviceid"]) for s in specs}
    ids = list(devices.values())
    try:
        out = live_stack.manage(
            "shell", "-c", SETUP.format(apikey=apikey, ids=ids, familyid=familyid)
        )
        synced = json.loads(out.strip().splitlines()[-1])
        pks = {name: synced["things"][deviceid] for name, deviceid in devices.items()}
        yield Barn(apikey, familyid, rooms, synced["rooms"], devices, pks)
    finally:
        script = TEARDOWN.format(apikey=apikey, ids=ids, familyid=familyid)
        live_stack.manage("shell", "-c", script)


def open_dashboard(new_tab: Callable[..., Page], cookies: dict[str, Any], query: str) -> Page:
    page = new_tab(storage_state=cookies)
    page.goto(f"/?{query}")
    wait_live(page)
    page.evaluate("window.notReloaded = true")
    return page


def toggles(page: Page, pk: int) -> Locator:
    return page.locator(f'[data-thing="{pk}"] [data-control][data-kind="toggle"]')


def sim_device(stack: LiveStack, deviceid: str) -> dict[str, Any]:
    return stack.sim.control("GET", f"/devices/{deviceid}")


def in_lots(stack: LiveStack, barn: Barn) -> list[str]:
    """Names of the test devices cloudsim has in Lots now (another test may move some)."""
    lots = barn.rooms["Lots"]
    return [n for n, d in barn.devices.items() if sim_device(stack, d)["roomid"] == lots]


def test_a_room_switches_off_in_one_action_and_an_offline_device_says_why(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    live_stack: LiveStack,
    barn: Barn,
) -> None:
    names = in_lots(live_stack, barn)
    assert len(names) > 10  # more than one batch-status call
    offline = names[0]
    query = f"room={barn.room_pks['Lots']}"
    other = open_dashboard(new_tab, owner_cookies, query)
    live_stack.sim.control("POST", f"/devices/{barn.devices[offline]}/online", {"online": False})
    try:
        for name in names:
            expect(toggles(other, barn.pks[name]).first).to_have_attribute("aria-pressed", "true")
        page = open_dashboard(new_tab, owner_cookies, query)
        page.get_by_role("button", name="All off in Lots").click()

        # The batch runs in the background: the page says so, then its answers arrive.
        result = page.locator("[data-batch-result]")
        expect(result).to_contain_text(f"Switching off {len(names)} things")
        # Its Celery worker may first finish a job queued before it (the stack's start-up runs).
        expect(result).to_contain_text(
            f"Switched off {len(names) - 1} of {len(names)}", timeout=45_000
        )
        expect(result).to_contain_text(f"{offline} did not switch off: It is offline")
        # The person's other open page is told too (another person's would not be).
        expect(other.locator("[data-batch-result]")).to_contain_text(f"{offline} did not")
        assert page.evaluate("window.notReloaded === true")  # posted by the script, no reload
        for name in names[1:]:
            params = sim_device(live_stack, barn.devices[name])["params"]
            if "switches" in params:
                assert [s["switch"] for s in params["switches"][:2]] == ["off", "off"]
            else:
                assert params["switch"] == "off"
            # The devices' own reports reach the other page through the live worker.
            for toggle in toggles(other, barn.pks[name]).all():
                expect(toggle).to_have_attribute("aria-pressed", "false")
        assert sim_device(live_stack, barn.devices[offline])["params"]["switch"] == "on"
        assert other.evaluate("window.notReloaded === true")
    finally:
        live_stack.sim.control("POST", f"/devices/{barn.devices[offline]}/online", {"online": True})


def test_two_chosen_things_move_to_another_room_and_a_selection_survives_redraws(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    live_stack: LiveStack,
    barn: Barn,
) -> None:
    movers = in_lots(live_stack, barn)[-2:]
    keeper = in_lots(live_stack, barn)[-3]
    other = open_dashboard(new_tab, owner_cookies, "all=1")
    # The other page chooses a thing of Lots: Lots is redrawn live, the box stays ticked.
    other.get_by_role("button", name="Select", exact=True).click()
    other.get_by_label(f"Select {keeper}", exact=True).check()
    other.get_by_role("heading", name="E2E Batch").click()  # focus off the box
    page = open_dashboard(new_tab, owner_cookies, "all=1")
    page.get_by_role("button", name="Select", exact=True).click()
    for name in movers:
        page.get_by_label(f"Select {name}", exact=True).press("Space")  # by keyboard
    expect(page.locator("[data-selection-count]")).to_have_text("2 things chosen")
    page.get_by_label("Move to room…").select_option(label="Spare")
    page.get_by_role("button", name="Move", exact=True).click()

    expect(page.locator(".messages")).to_contain_text(f"Moved {', '.join(movers)} to Spare.")
    for name in movers:
        assert sim_device(live_stack, barn.devices[name])["roomid"] == barn.rooms["Spare"]
    spare = other.locator("section.room").filter(has=other.locator("h3", has_text="Spare"))
    for name in movers:
        expect(spare.locator(f'[data-thing="{barn.pks[name]}"]')).to_have_count(1)
    expect(other.get_by_label(f"Select {keeper}", exact=True)).to_be_checked()
    expect(other.get_by_label(f"Select {movers[0]}", exact=True)).not_to_be_checked()
    expect(other.locator("[data-selection-count]")).to_have_text("1 thing chosen")
    assert other.evaluate("window.notReloaded === true")
    # The choice outlived the POST-redirect on the page that moved them.
    expect(page.get_by_label(f"Select {movers[0]}", exact=True)).to_be_checked()


def test_refresh_brings_back_what_the_cloud_says(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    live_stack: LiveStack,
    barn: Barn,
) -> None:
    name = "Batch gang"
    pk = barn.pks[name]
    # The dashboard's copy goes wrong behind everyone's back (no event): Refresh mends it.
    live_stack.manage(
        "shell",
        "-c",
        "from devices.models import Thing\n"
        f"Thing.objects.with_scopes_disabled().filter(pk={pk}).update(name='Stale name')\n",
    )
    query = "all=1"
    other = open_dashboard(new_tab, owner_cookies, query)
    expect(other.locator(f"#thing-{pk}-title")).to_have_text("Stale name")
    page = open_dashboard(new_tab, owner_cookies, query)
    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_label("Select Stale name", exact=True).check()
    page.get_by_role("button", name="Refresh", exact=True).click()

    expect(page.locator(".messages")).to_contain_text(f"Read again from the cloud: {name}.")
    expect(other.locator(f"#thing-{pk}-title")).to_have_text(name)
    assert other.evaluate("window.notReloaded === true")


def test_a_guest_sees_no_buttons_and_a_forged_switch_is_refused(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
    barn: Barn,
) -> None:
    page = open_dashboard(new_tab, role_cookies("guest"), "all=1")
    expect(page.get_by_role("heading", name="Lots", exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name="All off in Lots")).to_have_count(0)
    expect(page.get_by_role("button", name="Select", exact=True)).to_have_count(0)
    before = {n: sim_device(live_stack, d)["params"] for n, d in barn.devices.items()}
    answer = forged_post(page, f"/rooms/{barn.room_pks['Lots']}/switch/", {"state": "on"})
    assert answer.startswith("403")
    assert "needs the member role" in answer
    pk = str(barn.pks["Batch 01"])
    answer = forged_post(page, "/selection/switch/", {"state": "on", "thing": pk})
    assert answer.startswith("403")
    assert {n: sim_device(live_stack, d)["params"] for n, d in barn.devices.items()} == before
