"""Adding devices from the browser: an admin adds a Wi-Fi device from cloudsim's factory list
and a GSM device by pasting its whole QR code URL — each checked in cloudsim (owner, home,
room) and on a second open dashboard that shows the card without reload; a wrong API key is
the digest error in words and keeps the other fields; a member sees no form and a forged post
is refused. Every device added is deleted again (cloudsim returns it to the factory)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.things import delete_device, forged_post

pytestmark = pytest.mark.browser

ANCHOR = "Garage light"  # a device of the demo US account, in its only home "House"
ACCOUNT = "Sam (US)"  # the label link_demo gives that account
QR = "https://api.coolkit.cc:8080/api/user/device/addGsm?id={}"


def factory(stack: LiveStack, *, gsm: bool) -> dict[str, Any]:
    """An unowned device of cloudsim's demo: a GSM one, or a Wi-Fi two-gang switch. Chosen by
    kind, not name: adding renames it, and a deleted device keeps the name it was given."""
    for device in stack.sim.control("GET", "/factory-devices"):
        if bool(device["gsmId"]) == gsm and (gsm or device["uiid"] == 2):
            return dict(device)
    raise LookupError("cloudsim's demo has no such factory device")


def sim_device(stack: LiveStack, deviceid: str) -> dict[str, Any]:
    return dict(stack.sim.control("GET", f"/devices/{deviceid}"))


def house(stack: LiveStack) -> dict[str, Any]:
    """The US account's home in cloudsim, with its rooms by name."""
    answer = stack.sim.control("GET", f"/accounts/{stack.apikey_of(ANCHOR)}/homes")
    home = next(h for h in answer["familyList"] if h["name"] == "House")
    return {"id": home["id"], "rooms": {r["name"]: r["id"] for r in home["roomList"]}}


def card(within: Page | Locator, name: str) -> Locator:
    """The card titled `name` in a page or a part of it."""
    page = within if isinstance(within, Page) else within.page
    title = page.get_by_role("heading", name=name, exact=True)  # relative to each card
    return within.locator("article[data-thing]").filter(has=title)


def room_section(page: Page, room: str) -> Locator:
    title = page.get_by_role("heading", name=room, exact=True, level=3)
    return page.locator("section.room").filter(has=title)


def open_dashboard(new_tab: Callable[..., Page], cookies: dict[str, Any]) -> Page:
    page = new_tab(storage_state=cookies)
    page.goto("/")
    wait_live(page)
    page.evaluate("window.notReloaded = true")
    return page


def open_add_page(new_tab: Callable[..., Page], cookies: dict[str, Any]) -> Page:
    """From the homes page, as a person finds it."""
    page = new_tab(storage_state=cookies)
    page.goto("/homes/")
    page.get_by_role("link", name=f"Add a device to {ACCOUNT}").click()
    expect(page.get_by_role("heading", name=f"Add a device to {ACCOUNT}")).to_be_visible()
    return page


def test_an_admin_adds_a_wifi_and_a_gsm_device_and_every_dashboard_shows_them(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    apikey, home = live_stack.apikey_of(ANCHOR), house(live_stack)
    switch, gsm = factory(live_stack, gsm=False), factory(live_stack, gsm=True)
    other = open_dashboard(new_tab, owner_cookies)
    page = open_add_page(new_tab, role_cookies("admin"))
    try:
        wifi = page.locator("[data-add-form=wifi]")
        wifi.get_by_label("Device ID").fill(switch["deviceid"])
        wifi.get_by_label("Device API key").fill(switch["devicekey"])
        wifi.get_by_label("Name").fill("E2E shed switch")
        wifi.get_by_label("Home and room").select_option(label="House — Garage")
        wifi.get_by_role("button", name="Add the Wi-Fi device").click()
        expect(page.locator(".messages")).to_contain_text("Added E2E shed switch to House — Garage")
        added = sim_device(live_stack, switch["deviceid"])
        assert added["owner"] == apikey
        assert added["familyid"] == home["id"]
        assert added["roomid"] == home["rooms"]["Garage"]
        shed = card(room_section(other, "Garage"), "E2E shed switch")
        expect(shed).to_have_count(1)
        # The account's live worker took the device up: what it reports reaches the card.
        expect(shed.locator("[aria-pressed=true]")).to_have_count(0)
        on = {"params": {"switches": [{"switch": "on", "outlet": 1}]}}
        live_stack.sim.control("POST", f"/devices/{switch['deviceid']}/params", on)
        expect(shed.locator("[aria-pressed=true]")).to_have_count(1)

        form = page.locator("[data-add-form=gsm]")
        form.get_by_label("QR code URL or id").fill(QR.format(gsm["gsmId"]))
        form.get_by_label("Name").fill("E2E gate")
        form.get_by_label("Home and room").select_option(label="House — no room")
        form.get_by_role("button", name="Add the GSM device").click()
        expect(page.locator(".messages")).to_contain_text("Added E2E gate to House, in no room")
        added = sim_device(live_stack, gsm["deviceid"])
        assert added["owner"] == apikey
        assert added["familyid"] == home["id"]
        assert added["roomid"] == ""
        expect(card(other, "E2E gate")).to_have_count(1)
        assert other.evaluate("window.notReloaded === true")
    finally:
        for device in (switch, gsm):
            if sim_device(live_stack, device["deviceid"])["owner"] == apikey:
                delete_device(live_stack, apikey, device["deviceid"])
    assert sim_device(live_stack, switch["deviceid"])["owner"] is None
    assert sim_device(live_stack, gsm["deviceid"])["owner"] is None
    expect(card(other, "E2E shed switch")).to_have_count(0)
    expect(card(other, "E2E gate")).to_have_count(0)


def test_a_wrong_api_key_is_explained_and_the_other_fields_stay(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    switch = factory(live_stack, gsm=False)
    page = open_add_page(new_tab, role_cookies("admin"))
    wifi = page.locator("[data-add-form=wifi]")
    wifi.get_by_label("Device ID").fill(switch["deviceid"])
    wifi.get_by_label("Device API key").fill("00000000-not-the-key")
    wifi.get_by_label("Name").fill("E2E wrong key")
    wifi.get_by_label("Home and room").select_option(label="House — Office")
    wifi.get_by_role("button", name="Add the Wi-Fi device").click()

    expect(page.locator(".messages")).to_contain_text(
        "The API key does not belong to that device ID"
    )
    wifi = page.locator("[data-add-form=wifi]")
    expect(wifi.get_by_label("Device ID")).to_have_value(switch["deviceid"])
    expect(wifi.get_by_label("Name")).to_have_value("E2E wrong key")
    expect(wifi.get_by_label("Home and room").locator("option:checked")).to_have_text(
        "House — Office"
    )
    expect(wifi.get_by_label("Device API key")).to_have_value("")
    assert "not-the-key" not in page.content()
    assert sim_device(live_stack, switch["deviceid"])["owner"] is None


def test_a_member_sees_no_form_and_a_forged_add_is_refused(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    switch = factory(live_stack, gsm=False)
    page = new_tab(storage_state=role_cookies("member"))
    page.goto("/homes/")
    account = page.locator("[data-account-homes]").filter(has_text=ACCOUNT)
    expect(account.get_by_role("link", name=f"Overview of {ACCOUNT}")).to_have_count(1)
    expect(page.get_by_role("link", name=f"Add a device to {ACCOUNT}")).to_have_count(0)
    pk = account.get_attribute("data-account-homes")
    answer = forged_post(
        page,
        f"/homes/account/{pk}/add-device/",
        {"kind": "wifi", "deviceid": switch["deviceid"], "api_key": switch["devicekey"],
         "name": "Mine", "place": ""},
    )  # fmt: skip
    assert answer.startswith("403 ")
    assert "needs the admin role" in answer
    assert sim_device(live_stack, switch["deviceid"])["owner"] is None
    page.goto(f"/homes/account/{pk}/add-device/")
    expect(page.get_by_role("button", name="Add the Wi-Fi device")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("needs the admin role")

    # Members may look at the account's overview (no add link there for them).
    page.goto(f"/homes/account/{pk}/overview/")
    expect(page.locator("[data-overview=homes]")).to_contain_text("1, with 3 rooms")
    expect(page.get_by_role("link", name=f"Add a device to {ACCOUNT}")).to_have_count(0)
