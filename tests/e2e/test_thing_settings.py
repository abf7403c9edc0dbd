"""Thing pages: a device's own page, its settings by role, live on a second page, removal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.things import forged_post, open_thing, own_device

pytestmark = pytest.mark.browser


def sim_device(stack: LiveStack, deviceid: str) -> dict[str, Any]:
    return stack.sim.control("GET", f"/devices/{deviceid}")


def settings_panel(page: Page):  # type: ignore[no-untyped-def]
    return page.locator('[data-fragment="thing-settings"]')


def test_a_card_leads_to_its_page_with_everything_it_reports(
    owner_page: Page, live_stack: LiveStack
) -> None:
    title = owner_page.get_by_role("heading", name="Dishwasher plug", exact=True)
    title.get_by_role("link").click()
    owner_page.wait_for_url("**/things/*/")
    wait_live(owner_page)
    facts = owner_page.locator('[data-fragment="thing-overview"] dl.facts')
    expect(facts).to_contain_text("32")  # UIID
    expect(facts).to_contain_text(live_stack.device_id("Dishwasher plug"))
    expect(facts).to_contain_text("Kitchen")
    expect(facts).to_contain_text("Flat")
    params = owner_page.locator("table.params")
    expect(params.locator('[data-param="power"]')).to_contain_text("Power")
    # Params no plugin knows are shown raw, not hidden.
    expect(params.locator("[data-param]")).not_to_have_count(0)
    expect(owner_page.locator("article[data-thing]")).to_have_count(1)  # the live card


def test_an_admin_renames_moves_and_names_channels_and_a_second_page_follows(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Shed strip", uiid=2) as (deviceid, pk):
        page, other = (open_thing(new_tab, owner_cookies, pk) for _ in range(2))
        panel = settings_panel(page)
        panel.get_by_label("Name").fill("Shed sockets")
        panel.get_by_role("button", name="Rename").click()
        expect(page.locator(".messages")).to_contain_text("Renamed")
        assert sim_device(live_stack, deviceid)["name"] == "Shed sockets"
        expect(other.locator(".card__title")).to_have_text("Shed sockets")

        settings_panel(page).get_by_label("Room").select_option(label="Office")
        settings_panel(page).get_by_role("button", name="Move").click()
        expect(page.locator(".messages")).to_contain_text("Moved to Office")
        office = sim_device(live_stack, live_stack.device_id("Office power strip"))["roomid"]
        assert sim_device(live_stack, deviceid)["roomid"] == office
        expect(other.locator("[data-thing-room]")).to_have_text("Office")

        settings_panel(page).get_by_label("Channel 2", exact=True).fill("Bench")
        settings_panel(page).get_by_role("button", name="Save channel names").click()
        expect(page.locator(".messages")).to_contain_text("Channel names saved")
        tags = sim_device(live_stack, deviceid)["tags"]
        assert tags["ck_channel_name"]["1"] == "Bench"
        expect(
            other.locator("article[data-thing]").get_by_role("button", name="Bench")
        ).to_be_visible()

        settings_panel(page).get_by_label("Power-on state: channel 1").select_option("stay")
        settings_panel(page).get_by_label("Power-on state: channel 1").locator(
            "xpath=.."
        ).get_by_role("button", name="Set").click()
        expect(page.locator(".messages")).to_contain_text("Sent to the device")
        configure = sim_device(live_stack, deviceid)["params"]["configure"]
        assert configure[0]["startup"] == "stay"
        expect(other.locator('[data-param="configure"]')).to_contain_text('"stay"')

        settings_panel(page).get_by_label("Notify me when someone operates it").check()
        settings_panel(page).get_by_role("button", name="Save notifications").click()
        expect(page.locator(".messages")).to_contain_text("Notification settings saved")
        assert sim_device(live_stack, deviceid)["settings"]["opsNotify"] == 1
        expect(
            settings_panel(other).get_by_label("Notify me when someone operates it")
        ).to_be_checked()
        for seen in (page, other):
            assert seen.evaluate("window.notReloaded === true") or seen is page
        activity = other.locator('[data-fragment="thing-activity"]')
        expect(activity.locator('[data-action="rename"][data-result="ok"]')).to_have_count(1)


@pytest.mark.parametrize("role", ["member", "guest"])
def test_members_and_guests_see_no_settings_and_a_forged_change_is_refused(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
    role: str,
) -> None:
    with own_device(live_stack, f"Shed lamp {role}") as (deviceid, pk):
        page = open_thing(new_tab, role_cookies(role), pk)
        expect(settings_panel(page).get_by_role("button", name="Rename")).to_have_count(0)
        expect(page.get_by_role("button", name="Remove device")).to_have_count(0)
        answer = forged_post(
            page, f"/things/{pk}/rename/", {"name": "Hijacked", "seen": f"Shed lamp {role}"}
        )
        assert "needs the admin role" in answer
        answer = forged_post(page, f"/things/{pk}/remove/", {"confirm": f"Shed lamp {role}"})
        assert "needs the admin role" in answer
        device = sim_device(live_stack, deviceid)
        assert device["name"] == f"Shed lamp {role}"


def test_a_cloud_error_changes_nothing_and_says_why(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Shed fan") as (deviceid, pk):
        page = open_thing(new_tab, owner_cookies, pk)
        live_stack.sim.control(
            "POST", "/faults", {"kind": "http_status", "path": "/v2/device/update-info",
                                "status": 500, "count": 10}
        )  # fmt: skip
        try:
            settings_panel(page).get_by_label("Name").fill("Never")
            settings_panel(page).get_by_role("button", name="Rename").click()
            expect(page.locator(".messages")).to_contain_text("cannot be reached")
        finally:
            live_stack.sim.control("DELETE", "/faults")
        expect(page.locator(".card__title")).to_have_text("Shed fan")
        assert sim_device(live_stack, deviceid)["name"] == "Shed fan"
        failed = page.locator('[data-fragment="thing-activity"] [data-result="failed"]')
        expect(failed).to_have_count(1)


def test_a_rename_over_someone_elses_is_refused_not_lost(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Shed heater") as (deviceid, pk):
        first, second = (open_thing(new_tab, owner_cookies, pk) for _ in range(2))
        name = settings_panel(second).get_by_label("Name")
        name.fill("Heater by the door")  # typing: the live redraw waits for them
        settings_panel(first).get_by_label("Name").fill("Shed radiator")
        settings_panel(first).get_by_role("button", name="Rename").click()
        expect(first.locator(".messages")).to_contain_text("Renamed")
        settings_panel(second).get_by_role("button", name="Rename").click()
        expect(second.locator(".messages")).to_contain_text("Someone changed this device")
        assert sim_device(live_stack, deviceid)["name"] == "Shed radiator"


def test_removal_needs_the_name_and_the_device_leaves_every_page(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Shed pump") as (deviceid, pk):
        page, other = (open_thing(new_tab, owner_cookies, pk) for _ in range(2))
        dashboard = new_tab(storage_state=owner_cookies)
        dashboard.goto("/")
        wait_live(dashboard)
        expect(dashboard.get_by_role("heading", name="Shed pump", exact=True)).to_be_visible()
        page.get_by_label("Type “Shed pump” to confirm").fill("Shed pum")
        page.get_by_role("button", name="Remove device").click()
        expect(page.locator(".messages")).to_contain_text("Type the device's name exactly")
        assert "deviceid" in sim_device(live_stack, deviceid)
        page.get_by_label("Type “Shed pump” to confirm").fill("Shed pump")
        page.get_by_role("button", name="Remove device").click()
        page.wait_for_url("**/")
        expect(page.locator(".messages")).to_contain_text("was removed")
        devices = live_stack.sim.control("GET", "/devices")
        items = devices["devices"] if isinstance(devices, dict) else devices
        assert all(d["deviceid"] != deviceid or not d.get("owner") for d in items)
        expect(other.get_by_role("heading", name="This device is gone")).to_be_visible()
        expect(dashboard.get_by_role("heading", name="Shed pump", exact=True)).to_have_count(0)


def test_an_admin_clears_the_history_and_a_second_page_shows_who_did(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Shed boiler") as (deviceid, pk):
        for value in ("on", "off"):  # the device's own changes: two history entries
            live_stack.sim.control(
                "POST", f"/devices/{deviceid}/params", {"params": {"switch": value}}
            )
        history = f"/devices/{deviceid}/history"
        assert live_stack.sim.control("GET", history)["count"] >= 2
        page, other = (open_thing(new_tab, owner_cookies, pk) for _ in range(2))
        page.get_by_role("button", name="Clear history").click()
        # One click only asks: it says what is lost, and nothing is cleared yet.
        expect(page.locator("h1")).to_have_text("Clear the history of “Shed boiler”?")
        expect(page.locator(".confirm-losses")).to_contain_text("cannot be undone")
        assert live_stack.sim.control("GET", history)["count"] >= 2
        page.get_by_role("button", name="Clear history").click()
        expect(page.locator(".messages")).to_contain_text("History cleared")
        assert live_stack.sim.control("GET", history)["count"] == 0
        done = other.locator('[data-fragment="thing-activity"] [data-action="clear_history"]')
        expect(done).to_have_attribute("data-result", "ok")
        assert other.evaluate("window.notReloaded === true")


# Every admin action of a thing page, as a member forges it: (path, data).
ADMIN_ACTIONS = [
    ("move", {"room": ""}),
    ("channels", {"channel_0": "Hijacked", "seen": "{}"}),
    ("notifications", {"opsNotify": "on", "seen": "{}"}),
    ("option", {"option": "led", "value": "off", "seen": "True"}),
    ("clear-history", {}),
    ("ota-check", {}),
    ("upgrade", {"version": "9.9.9"}),
    ("share", {"email": "friend@example.com", "permit": "1"}),
]


def test_a_member_is_refused_every_admin_action_and_the_cloud_is_unchanged(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    with own_device(live_stack, "Shed relay", uiid=2) as (deviceid, pk):
        before = sim_device(live_stack, deviceid)
        page = open_thing(new_tab, role_cookies("member"), pk)
        for action, data in ADMIN_ACTIONS:
            answer = forged_post(page, f"/things/{pk}/{action}/", data)
            assert answer.startswith("403 "), (action, answer[:80])
            assert "needs the admin role" in answer, action
        after = sim_device(live_stack, deviceid)
        for key in ("name", "roomid", "tags", "settings", "params", "shared_with"):
            assert after[key] == before[key], key
        # A member controls the device from its page: that is what members do.
        page.locator("article[data-thing]").get_by_role("button").first.click()
        expect(page.locator("article[data-thing]").get_by_role("button").first).to_have_attribute(
            "aria-pressed", "true"
        )
        # The toggle shows the new state at once; the server's answer confirms the device took it.
        expect(page.locator("article[data-thing] .card__note")).to_have_attribute(
            "data-status", "ok"
        )
        assert sim_device(live_stack, deviceid)["params"]["switches"][0]["switch"] == "on"
