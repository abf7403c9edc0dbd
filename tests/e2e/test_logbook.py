"""A device's history and the household logbook in a browser: entries from the cloud and from a
control pressed in the page, "Fetch newer now", filters, the CSV export, a cloud change
arriving live on open logbooks, and a guest who sees what happened but not who did it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.things import open_thing, own_device


def history_rows(page: Page) -> Any:
    return page.locator("#history-rows [data-entry]")


def test_a_devices_history_merges_the_cloud_and_the_dashboard(
    live_stack: LiveStack,
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
) -> None:
    with own_device(live_stack, "History plug") as (deviceid, pk):
        page = open_thing(new_tab, owner_cookies, pk)
        expect(page.get_by_role("heading", name="History", exact=True)).to_be_visible()

        # The cloud records a change made on the device; "Fetch newer now" brings it in.
        live_stack.sim.control("POST", f"/devices/{deviceid}/params", {"params": {"switch": "on"}})
        page.get_by_role("button", name="Fetch newer now").click()
        expect(page.locator(".messages")).to_contain_text("Fetching newer history")
        cloud_row = history_rows(page).filter(has_text="switch: on")
        expect(cloud_row.first).to_be_visible(timeout=20_000)
        expect(cloud_row.first).to_have_attribute("data-kind", "device")
        expect(cloud_row.first).to_contain_text("via device")

        # A control pressed on the page appears on top, with who pressed it, without a reload.
        page.evaluate("window.notReloaded = true")
        page.locator(f'[data-thing="{pk}"] [data-control][data-kind="toggle"]').first.click()
        mine = history_rows(page).first
        expect(mine).to_have_attribute("data-kind", "command", timeout=15_000)
        expect(mine).to_contain_text(f"by {live_stack.email}")
        expect(mine).to_contain_text("via dashboard")
        assert page.evaluate("window.notReloaded") is True
        assert live_stack.sim.control("GET", f"/devices/{deviceid}")["params"]["switch"] == "off"

        # A guest sees both lines but not who; asking the cloud for more is refused in words.
        guest = new_tab(storage_state=role_cookies("guest"))
        guest.goto(f"/things/{pk}/")
        expect(history_rows(guest).filter(has_text="switch: on").first).to_be_visible()
        expect(history_rows(guest).first).to_have_attribute("data-kind", "command")
        expect(guest.locator("#history-rows")).not_to_contain_text(live_stack.email)
        guest.get_by_role("button", name="Fetch newer now").click()
        expect(guest.locator("main")).to_contain_text("This needs the member role or higher")


def test_the_logbook_filters_exports_and_fills_in_live(
    live_stack: LiveStack,
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
) -> None:
    with own_device(live_stack, "Logbook plug") as (deviceid, pk):
        owner = new_tab(storage_state=owner_cookies)
        owner.goto("/logbook/")
        wait_live(owner)
        # Narrowed by device and kind in the form.
        owner.get_by_label("Device").select_option(label="Logbook plug")
        owner.get_by_label("Kind").select_option(label="Online/offline")
        owner.get_by_role("button", name="Show").click()
        owner.wait_for_url("**/logbook/?*kind=connectivity*")
        assert f"thing={pk}" in owner.url
        wait_live(owner)
        owner.evaluate("window.notReloaded = true")
        guest = new_tab(storage_state=role_cookies("guest"))
        guest.goto("/logbook/")
        wait_live(guest)

        # A change in the cloud (the device drops off) appears on both pages, no reload.
        live_stack.sim.control("POST", f"/devices/{deviceid}/online", {"online": False})
        for page in (owner, guest):
            line = page.locator("[data-entry]").filter(has_text="Logbook plug").first
            expect(line).to_contain_text("Went offline", timeout=15_000)
            expect(line).to_have_attribute("data-kind", "connectivity")
        assert owner.evaluate("window.notReloaded") is True
        live_stack.sim.control("POST", f"/devices/{deviceid}/online", {"online": True})
        expect(owner.locator("[data-entry]").first).to_contain_text("Came online", timeout=15_000)
        expect(owner.locator('[data-entry]:not([data-kind="connectivity"])')).to_have_count(0)
        expect(guest.locator("[data-entry-who]")).to_have_count(0)  # guests: what, not who
        expect(guest.get_by_label("Person")).to_have_count(0)

        # The export holds what the filters show.
        with owner.expect_download() as download:
            owner.locator('[data-export="csv"]').click()
        path = download.value.path()
        rows = list(csv.DictReader(io.StringIO(path.read_text())))
        assert [r["what"] for r in rows[:2]] == ["Came online", "Went offline"]
        assert {r["device"] for r in rows} == {"Logbook plug"}
        assert {r["kind"] for r in rows} == {"connectivity"}
