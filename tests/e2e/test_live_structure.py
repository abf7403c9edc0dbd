"""The layout changes live: with two pages of a household open, a device added in the cloud
appears on both, a rename, a move, new channel names and a removal show, a water tank alarm
comes and goes — and neither page reloads."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live

pytestmark = pytest.mark.browser

ANCHOR = "Garage light"  # a demo device: its owner gets the new ones, in its home
SYNC_TIMEOUT = 15_000
ALERT = re.compile(r"\bcard__status--alert\b")


def cloud_then_sync(stack: LiveStack, *calls: tuple[str, list[Any], dict[str, Any]]) -> None:
    """Make eWeLink API calls as the anchor's owner account (as the official app would), then
    sync the account (what Resync or the periodic reconcile job does), in one process."""
    script = (
        "import json\n"
        "from asgiref.sync import async_to_sync\n"
        "from django_scopes import scopes_disabled\n"
        "from accounts.cloud import open_client\n"
        "from accounts.models import LinkedAccount\n"
        "from devices.sync import sync_account\n"
        "with scopes_disabled():\n"
        f"    account = LinkedAccount.objects.get(apikey={stack.apikey_of(ANCHOR)!r})\n"
        "async def run():\n"
        "    async with open_client(account) as client:\n"
        f"        for method, args, kwargs in json.loads({json.dumps(calls)!r}):\n"
        "            await getattr(client, method)(*args, **kwargs)\n"
        "async_to_sync(run)()\n"
        "sync_account(account.pk)\n"
    )
    stack.manage("shell", "-c", script)


def roomid_of(stack: LiveStack, name: str) -> str:
    return str(stack.sim.control("GET", f"/devices/{stack.device_id(name)}")["roomid"])


def card(within: Page | Locator, name: str) -> Locator:
    """The card titled `name` in a page or a part of it."""
    page = within if isinstance(within, Page) else within.page
    title = page.get_by_role("heading", name=name, exact=True)  # relative to each card
    return within.locator("article[data-thing]").filter(has=title)


def room_section(page: Page, room: str) -> Locator:
    title = page.get_by_role("heading", name=room, exact=True, level=3)
    return page.locator("section.room").filter(has=title)


def open_two(new_tab: Callable[..., Page], cookies: dict[str, Any]) -> list[Page]:
    pages = []
    for _ in range(2):
        page = new_tab(storage_state=cookies)
        page.goto("/")
        wait_live(page)
        page.evaluate("window.notReloaded = true")
        pages.append(page)
    return pages


def assert_not_reloaded(pages: list[Page]) -> None:
    for page in pages:
        assert page.evaluate("window.notReloaded === true"), "the page reloaded"


def test_a_new_device_its_rename_move_channels_and_removal_show_live_on_both_pages(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    pages = open_two(new_tab, owner_cookies)
    office = roomid_of(live_stack, "Office power strip")  # another room of the anchor's home
    added = live_stack.sim.control(
        "POST",
        "/devices",
        {"owner": live_stack.apikey_of(ANCHOR), "uiid": 2, "name": "Shed lights",
         "roomid": roomid_of(live_stack, ANCHOR)},
    )  # fmt: skip
    deviceid = added["deviceid"]
    try:
        cloud_then_sync(live_stack)
        for page in pages:
            expect(card(room_section(page, "Garage"), "Shed lights")).to_be_visible(
                timeout=SYNC_TIMEOUT
            )

        cloud_then_sync(
            live_stack,
            ("update_device_info", [deviceid], {"name": "Shed lamps", "roomid": office}),
            ("set_tags", [deviceid, {"ck_channel_name": {"0": "Door", "1": "Bench"}}], {}),
        )
        for page in pages:
            moved = room_section(page, "Office")
            expect(card(moved, "Shed lamps")).to_be_visible(timeout=SYNC_TIMEOUT)
            expect(card(page, "Shed lights")).to_have_count(0)
            expect(card(page, "Shed lamps").get_by_role("button", name="Door")).to_be_visible()
            expect(card(page, "Shed lamps").get_by_role("button", name="Bench")).to_be_visible()

        # The new card is live: a control from one page reaches the device, both pages follow.
        card(pages[0], "Shed lamps").get_by_role("button", name="Door").click()
        door = card(pages[1], "Shed lamps").get_by_role("button", name="Door")
        expect(door).to_have_attribute("aria-pressed", "true")
        switches = live_stack.sim.control("GET", f"/devices/{deviceid}")["params"]["switches"]
        assert switches[0]["switch"] == "on"
    finally:
        cloud_then_sync(live_stack, ("delete_device", [deviceid], {}))
    for page in pages:
        expect(card(page, "Shed lamps")).to_have_count(0, timeout=SYNC_TIMEOUT)
    assert_not_reloaded(pages)


def test_a_water_tank_and_a_leak_alarm_appear_and_clear_live_on_both_pages(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    pages = open_two(new_tab, owner_cookies)
    added = live_stack.sim.control(
        "POST",
        "/devices",
        {"owner": live_stack.apikey_of(ANCHOR), "uiid": 19, "name": "Bedroom humidifier",
         "roomid": roomid_of(live_stack, ANCHOR), "params": {"switch": "on", "water": 0}},
    )  # fmt: skip
    deviceid = added["deviceid"]
    try:
        cloud_then_sync(live_stack)
        alarm = [card(p, "Bedroom humidifier").get_by_text("Water tank empty") for p in pages]
        for page, text in zip(pages, alarm, strict=True):
            expect(card(page, "Bedroom humidifier")).to_be_visible(timeout=SYNC_TIMEOUT)
            expect(text).to_have_count(0)
        live_stack.sim.control("POST", f"/devices/{deviceid}/params", {"params": {"water": 1}})
        for text in alarm:
            expect(text).to_be_visible()
        live_stack.sim.control("POST", f"/devices/{deviceid}/params", {"params": {"water": 0}})
        for text in alarm:
            expect(text).to_have_count(0)

        leak = live_stack.device_id("Bathroom leak sensor")
        statuses = [
            card(p, "Bathroom leak sensor").locator('[data-state-key="status"]') for p in pages
        ]
        live_stack.sim.control("POST", f"/devices/{leak}/params", {"params": {"water": 1}})
        for status in statuses:
            expect(status).to_have_text("Leak!")
            expect(status).to_have_class(ALERT)
        live_stack.sim.control("POST", f"/devices/{leak}/params", {"params": {"water": 0}})
        for status in statuses:
            expect(status).to_have_text("Dry")
            expect(status).not_to_have_class(ALERT)
    finally:
        cloud_then_sync(live_stack, ("delete_device", [deviceid], {}))
    for page in pages:
        expect(card(page, "Bedroom humidifier")).to_have_count(0, timeout=SYNC_TIMEOUT)
    assert_not_reloaded(pages)
