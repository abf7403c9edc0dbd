"""Homes and rooms from the browser: an admin builds, arranges and deletes a home of the demo
US account — each step checked in cloudsim and on a second open dashboard without reload —
the only home cannot be deleted, and a member sees no forms and is refused a forged post."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.things import forged_post

pytestmark = pytest.mark.browser

ANCHOR = "Garage light"  # a device of the demo US account, in its only home "House"


def sim_homes(stack: LiveStack) -> dict[str, Any]:
    """The US account's homes in cloudsim, by name."""
    answer = stack.sim.control("GET", f"/accounts/{stack.apikey_of(ANCHOR)}/homes")
    return {home["name"]: home for home in answer["familyList"]}


def sim_rooms(stack: LiveStack, home: str) -> list[str]:
    return [room["name"] for room in sim_homes(stack)[home]["roomList"]]


def home_admin(page: Page, name: str) -> Locator:
    """A home's part of the homes page."""
    return page.locator("section.home-admin").filter(
        has=page.get_by_role("heading", name=name, exact=False)
    )


def dashboard_home(page: Page, name: str) -> Locator:
    return page.locator("section.home").filter(has=page.locator("h2", has_text=name))


def room_titles(section: Locator) -> Locator:
    return section.locator("h3.room__title")


def open_dashboard(new_tab: Callable[..., Page], cookies: dict[str, Any]) -> Page:
    page = new_tab(storage_state=cookies)
    page.goto("/")
    wait_live(page)
    page.evaluate("window.notReloaded = true")
    return page


def open_homes(new_tab: Callable[..., Page], cookies: dict[str, Any]) -> Page:
    page = new_tab(storage_state=cookies)
    page.goto("/homes/")
    return page


def test_an_admin_builds_arranges_and_deletes_a_home_and_the_dashboard_follows(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    other = open_dashboard(new_tab, owner_cookies)
    page = open_homes(new_tab, owner_cookies)
    us = page.locator("[data-account-homes]").filter(has=page.locator("h3", has_text="House"))
    us.get_by_label("Name of the new home").fill("E2E Barn")
    us.get_by_label("Its first rooms, one per line").fill("Loft\nStable")
    us.get_by_role("button", name="Create home").click()
    expect(page.locator(".messages")).to_contain_text("Created the home E2E Barn")
    try:
        assert sim_rooms(live_stack, "E2E Barn") == ["Loft", "Stable"]
        expect(room_titles(dashboard_home(other, "E2E Barn"))).to_have_text(["Loft", "Stable"])

        barn = home_admin(page, "E2E Barn")
        barn.get_by_label("Name of the home E2E Barn").fill("E2E Stables")
        barn.get_by_role("button", name="Rename home").click()
        expect(page.locator(".messages")).to_contain_text("Renamed the home to E2E Stables")
        assert "E2E Stables" in sim_homes(live_stack)
        expect(dashboard_home(other, "E2E Stables")).to_have_count(1)
        expect(dashboard_home(other, "E2E Barn")).to_have_count(0)

        home = home_admin(page, "E2E Stables")
        home.get_by_label("New room in E2E Stables").fill("Tack room")
        home.get_by_role("button", name="Add room").click()
        expect(page.locator(".messages")).to_contain_text("Added the room Tack room")
        home = home_admin(page, "E2E Stables")
        home.get_by_label("Name of the room Stable").fill("Stalls")
        home.get_by_role("button", name="Rename Stable").click()
        expect(page.locator(".messages")).to_contain_text("Renamed the room to Stalls")
        home_admin(page, "E2E Stables").get_by_role("button", name="Move Tack room up").click()
        expect(page.locator(".messages")).to_contain_text("Moved Tack room up")
        assert sim_rooms(live_stack, "E2E Stables") == ["Loft", "Tack room", "Stalls"]
        titles = room_titles(dashboard_home(other, "E2E Stables"))
        expect(titles).to_have_text(["Loft", "Tack room", "Stalls"])

        home_admin(page, "E2E Stables").get_by_role("link", name="Delete the room Loft").click()
        expect(page.locator(".confirm-losses")).to_contain_text("in no room")
        page.get_by_role("button", name="Delete the room").click()
        expect(page.locator(".messages")).to_contain_text("Deleted the room Loft")
        assert sim_rooms(live_stack, "E2E Stables") == ["Tack room", "Stalls"]
        expect(titles).to_have_text(["Tack room", "Stalls"])
    finally:
        _delete_home(page, "E2E Stables" if "E2E Stables" in sim_homes(live_stack) else "E2E Barn")
    assert set(sim_homes(live_stack)) == {"House"}
    expect(dashboard_home(other, "E2E Stables")).to_have_count(0)
    expect(dashboard_home(other, "House")).to_have_count(1)
    assert other.evaluate("window.notReloaded === true")


def _delete_home(page: Page, name: str) -> None:
    page.goto("/homes/")
    home_admin(page, name).get_by_role("link", name=f"Delete the home {name}").click()
    losses = page.locator(".confirm-losses")
    expect(losses).to_contain_text("move to the home you choose")
    page.get_by_label("Move its devices to").select_option(label="House")
    page.get_by_role("button", name="Delete the home").click()
    expect(page.locator(".messages")).to_contain_text(f"Deleted the home {name}")


def test_the_only_home_is_explained_not_offered(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    assert set(sim_homes(live_stack)) == {"House"}
    page = open_homes(new_tab, owner_cookies)
    home_admin(page, "House").get_by_role("link", name="Delete the home House").click()
    expect(page.locator("[data-only-home]")).to_contain_text("only home")
    expect(page.get_by_role("button", name="Delete the home")).to_have_count(0)
    # Even posted by hand, nothing reaches the cloud.
    answer = forged_post(page, "/" + page.url.split("/", 3)[3], {"confirm": "yes"})
    assert "only home" in answer
    assert set(sim_homes(live_stack)) == {"House"}


def test_a_member_sees_no_forms_and_a_forged_change_is_refused(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    page = open_homes(new_tab, role_cookies("member"))
    house = home_admin(page, "House")
    expect(house).to_have_count(1)
    expect(page.get_by_role("button", name="Rename home")).to_have_count(0)
    expect(page.get_by_role("button", name="Create home")).to_have_count(0)
    home_pk = house.get_attribute("data-home")
    answer = forged_post(page, f"/homes/{home_pk}/rename/", {"name": "Hijacked"})
    assert "needs the admin role" in answer
    answer = forged_post(page, f"/homes/{home_pk}/rooms/add/", {"name": "Den"})
    assert "needs the admin role" in answer
    assert set(sim_homes(live_stack)) == {"House"}
    assert "Den" not in sim_rooms(live_stack, "House")
