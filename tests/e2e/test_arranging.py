"""Drag and drop in the browser: an admin drags a room of the demo US account's "House" on
the homes page, and drags cards within the Garage and from the Office into it on the
dashboard (and uses the keyboard's Earlier/Later) — each checked in cloudsim's state and on a
second open page without reload; a member is offered neither and a forged drop is refused.
The demo's order is put back afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.test_homes_rooms import home_admin, sim_rooms
from tests.e2e.things import forged_post
from tests.waiting import until

pytestmark = pytest.mark.browser

GARAGE = ["Garage light", "Panel circuits", "Pool pump"]  # the demo's order


# Records the card titles of each redraw of one fragment that reaches the page.
REDRAWS_OF = """key => {
    window.redraws = [];
    document.addEventListener("live:frame", ({ detail: frame }) => {
        if (frame.type !== "fragment" || frame.key !== key) return;
        const drawn = document.createElement("template");
        drawn.innerHTML = frame.html || "";
        const titles = [...drawn.content.querySelectorAll(".card__title")];
        window.redraws.push(titles.map((title) => title.textContent.trim()));
    });
}"""
DRAWN_IN_ORDER = "order => window.redraws.some((titles) => titles.join() === order.join())"


def open_live(new_tab: Callable[..., Page], cookies: dict[str, Any], path: str) -> Page:
    # Tall enough that a dragged card and where it goes are both in view: a drag that
    # scrolls the page starts from whatever is then under the pointer.
    page = new_tab(storage_state=cookies, viewport={"width": 1280, "height": 3000})
    page.goto(path)
    wait_live(page)
    page.evaluate("window.notReloaded = true")
    return page


def room_list(page: Page) -> Locator:
    return home_admin(page, "House").locator("[data-room] [data-room-name]")


def dashboard_room(page: Page, name: str) -> Locator:
    return page.locator("section.room").filter(has=page.locator("h3.room__title", has_text=name))


def card(page: Page, name: str) -> Locator:
    return page.locator("[data-thing]").filter(has=page.locator(".card__title", has_text=name))


def sim_room_order(stack: LiveStack, room: str) -> list[str]:
    """The names of the US account's devices in `room`, in the cloud's order."""
    apikey = stack.apikey_of("Garage light")
    homes = stack.sim.control("GET", f"/accounts/{apikey}/homes")["familyList"]
    roomid = next(r["id"] for h in homes for r in h["roomList"] if r["name"] == room)
    devices = stack.sim.control("GET", "/devices")
    mine = [d for d in devices if d["roomid"] == roomid and d["owner"] == apikey]
    return [d["name"] for d in sorted(mine, key=lambda d: d["index"])]


def test_an_admin_drags_a_room_and_every_open_page_follows(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    assert sim_rooms(live_stack, "House") == ["Living room", "Garage", "Office"]
    other = open_live(new_tab, owner_cookies, "/homes/")
    dashboard = open_live(new_tab, owner_cookies, "/?all=1")
    page = open_live(new_tab, owner_cookies, "/homes/")
    house = home_admin(page, "House")
    order_url = house.locator("[data-room-order]").get_attribute("data-room-order") or ""
    rooms = {
        name: house.locator("li[data-room]").filter(has_text=name).get_attribute("data-room")
        for name in ("Living room", "Garage", "Office")
    }
    try:
        office = house.locator("li[data-room]").filter(has_text="Office")
        office.drag_to(house.locator("li[data-room]").filter(has_text="Living room"),
                       target_position={"x": 20, "y": 2})  # fmt: skip
        expect(room_list(page)).to_have_text(["Office", "Living room", "Garage"])
        until(
            lambda: sim_rooms(live_stack, "House") == ["Office", "Living room", "Garage"],
            what="the cloud's order",
        )
        expect(room_list(other)).to_have_text(["Office", "Living room", "Garage"])
        us_rooms = (
            dashboard.locator("section.home")
            .filter(has=dashboard.locator("h2", has_text="House"))
            .locator("h3.room__title")
        )
        expect(us_rooms).to_have_text(["Office", "Living room", "Garage"])
        activity = other.locator('[data-fragment="homes-activity"]')
        done = activity.locator('[data-layout-action="rooms_order"]').first
        expect(done).to_contain_text("reordered the rooms of House")
        for seen in (other, dashboard):
            assert seen.evaluate("window.notReloaded === true")
    finally:
        order = ",".join(rooms[n] or "" for n in ("Living room", "Garage", "Office"))
        assert forged_post(page, order_url, {"order": order}).startswith("200")
    assert sim_rooms(live_stack, "House") == ["Living room", "Garage", "Office"]
    expect(room_list(other)).to_have_text(["Living room", "Garage", "Office"])


def test_an_admin_arranges_cards_by_dragging_and_by_keyboard(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    assert sim_room_order(live_stack, "Garage") == GARAGE
    other = open_live(new_tab, owner_cookies, "/?all=1")
    page = open_live(new_tab, owner_cookies, "/?all=1")
    garage, office = dashboard_room(page, "Garage"), dashboard_room(page, "Office")
    ids = {
        name: card(page, name).get_attribute("data-thing")
        for name in [*GARAGE, "Office power strip"]
    }
    office_id = office.get_attribute("data-room-id") or ""
    garage_id = garage.get_attribute("data-room-id") or ""
    page.get_by_role("button", name="Arrange cards").click()
    try:
        card(page, "Pool pump").drag_to(
            card(page, "Garage light"), target_position={"x": 5, "y": 30}
        )
        expected = ["Pool pump", "Garage light", "Panel circuits"]
        expect(garage.locator(".card__title")).to_have_text(expected)
        until(lambda: sim_room_order(live_stack, "Garage") == expected, what="the cloud's order")
        expect(dashboard_room(other, "Garage").locator(".card__title")).to_have_text(expected)

        # A drop into another room is two changes (the move, then the order), each redrawn:
        # the move's redraw may show the card last. The nudge below posts the order this
        # page shows, so it waits for a redraw of the Garage that shows the final order
        # (none can follow that shows the move's).
        page.evaluate(REDRAWS_OF, garage.get_attribute("data-fragment"))
        card(page, "Office power strip").drag_to(
            card(page, "Panel circuits"), target_position={"x": 5, "y": 30}
        )
        expected = ["Pool pump", "Garage light", "Office power strip", "Panel circuits"]
        until(lambda: sim_room_order(live_stack, "Garage") == expected, what="the cloud's order")
        assert sim_room_order(live_stack, "Office") == []
        expect(dashboard_room(other, "Garage").locator(".card__title")).to_have_text(expected)
        expect(dashboard_room(other, "Office")).to_contain_text("Nothing in this room")
        page.wait_for_function(DRAWN_IN_ORDER, arg=expected, timeout=10_000)
        expect(garage.locator(".card__title")).to_have_text(expected)
        expect(page.locator("[data-arrange-status]")).to_be_hidden()

        # The keyboard's way: the card's own buttons, one place at a time.
        page.get_by_role("button", name="Move Garage light earlier").click()
        expected = ["Garage light", "Pool pump", "Office power strip", "Panel circuits"]
        until(lambda: sim_room_order(live_stack, "Garage") == expected, what="the cloud's order")
        expect(dashboard_room(other, "Garage").locator(".card__title")).to_have_text(expected)
        assert other.evaluate("window.notReloaded === true")
    finally:
        strip = ids["Office power strip"]
        forged_post(page, f"/things/{strip}/place/", {"room": office_id, "order": strip})
        order = ",".join(ids[name] or "" for name in GARAGE)
        forged_post(
            page, f"/things/{ids['Garage light']}/place/", {"room": garage_id, "order": order}
        )
    assert sim_room_order(live_stack, "Garage") == GARAGE
    assert sim_room_order(live_stack, "Office") == ["Office power strip"]


def test_a_member_is_offered_no_arranging_and_a_forged_drop_is_refused(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    page = open_live(new_tab, role_cookies("member"), "/?all=1")
    expect(page.get_by_role("button", name="Arrange cards")).to_have_count(0)
    pump = card(page, "Pool pump").get_attribute("data-thing")
    garage = dashboard_room(page, "Garage").get_attribute("data-room-id")
    light = card(page, "Garage light").get_attribute("data-thing")
    answer = forged_post(
        page, f"/things/{pump}/place/", {"room": garage or "", "order": f"{pump},{light}"}
    )
    assert answer.startswith("403")
    assert "needs the admin role" in answer

    homes = open_live(new_tab, role_cookies("member"), "/homes/")
    house = home_admin(homes, "House")
    expect(house.locator("[data-room-order]")).to_have_count(0)
    expect(house.locator("li[draggable=true]")).to_have_count(0)
    home_pk = house.get_attribute("data-home")
    rooms = house.locator("li[data-room]").evaluate_all(
        "(els) => els.map((e) => e.dataset.room).reverse().join(',')"
    )
    answer = forged_post(homes, f"/homes/{home_pk}/rooms/order/", {"order": rooms})
    assert answer.startswith("403")
    assert "needs the admin role" in answer
    assert sim_rooms(live_stack, "House") == ["Living room", "Garage", "Office"]
    assert sim_room_order(live_stack, "Garage") == GARAGE
