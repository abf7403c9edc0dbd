"""A big household's dashboard: rooms after the first cards load as they scroll into view, and
their cards are as live as the others (updates from the cloud, controls to it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from devices.presentation import EAGER_CARDS
from tests.e2e.conftest import LiveStack, sign_in, wait_live

pytestmark = pytest.mark.browser

ROOMS = 6
LAMPS_PER_ROOM = 12  # 72 things: the first four rooms make the page's 48 cards
LINK = """
from accounts.linking import link_with_password
from accounts.services import memberships_of, sign_up
from devices.sync import sync_account
user, household = sign_up({email!r}, {password!r}, "Big house")
linked = link_with_password(memberships_of(user)[0], identifier={cloud_email!r},
                            password={cloud_password!r}, country_code="+44", label="Big cloud")
sync_account(linked.pk)
"""


def card(page: Page, name: str) -> Locator:
    title = page.get_by_role("heading", name=name, exact=True)
    return page.locator("article[data-thing]").filter(has=title)


@pytest.fixture(scope="module")
def big_house(live_stack: LiveStack) -> dict[str, Any]:
    """A cloud account of 72 lamps in six rooms, linked to a household of its own."""
    suffix = uuid.uuid4().hex[:8]
    cloud_email, cloud_password = f"big-{suffix}@example.com", "big-cloud-pass"
    sim = live_stack.sim
    account = sim.control(
        "POST",
        "/accounts",
        {"region": "eu", "email": cloud_email, "password": cloud_password, "countryCode": "+44"},
    )
    rooms = [f"Room {n}" for n in range(1, ROOMS + 1)]
    home = sim.control(
        "POST", f"/accounts/{account['apikey']}/homes", {"name": "Big house", "rooms": rooms}
    )
    devices: dict[str, str] = {}
    for room in home["rooms"]:
        for n in range(1, LAMPS_PER_ROOM + 1):
            name = f"{room['name']} lamp {n}"
            spec = {"owner": account["apikey"], "uiid": 1, "name": name,
                    "familyid": home["familyid"], "roomid": room["id"]}  # fmt: skip
            devices[name] = sim.control("POST", "/devices", spec)["deviceid"]
    email, password = f"big-owner-{suffix}@example.com", "a long big house pass"
    script = LINK.format(email=email, password=password, cloud_email=cloud_email,
                         cloud_password=cloud_password)  # fmt: skip
    live_stack.manage("shell", "-c", script, timeout=120)
    return {"email": email, "password": password, "devices": devices}


def switch_of(live_stack: LiveStack, deviceid: str) -> Callable[[], Any]:
    return lambda: live_stack.sim.control("GET", f"/devices/{deviceid}")["params"].get("switch")


def test_later_rooms_load_when_scrolled_to_and_stay_live(
    new_tab: Callable[..., Page], live_stack: LiveStack, big_house: dict[str, Any]
) -> None:
    assert ROOMS * LAMPS_PER_ROOM > EAGER_CARDS
    page = new_tab()
    sign_in(page, big_house["email"], big_house["password"])
    wait_live(page)
    expect(page.locator("article[data-thing]")).to_have_count(EAGER_CARDS)
    expect(page.locator("[data-lazy-room]")).to_have_count(2)
    expect(card(page, "Room 6 lamp 1")).to_have_count(0)

    page.locator("[data-lazy-room]").last.scroll_into_view_if_needed()
    expect(card(page, "Room 6 lamp 1")).to_be_visible(timeout=10_000)
    expect(card(page, "Room 6 lamp 12")).to_have_count(1)

    # A change in the cloud reaches a card that came with its room after the snapshot.
    lamp = big_house["devices"]["Room 6 lamp 1"]
    live_stack.sim.control("POST", f"/devices/{lamp}/params", {"params": {"switch": "on"}})
    power = card(page, "Room 6 lamp 1").get_by_role("button", name="Power")
    expect(power).to_have_attribute("aria-pressed", "true", timeout=10_000)

    # And its controls reach the cloud.
    other = card(page, "Room 6 lamp 2").get_by_role("button", name="Power")
    expect(other).to_have_attribute("aria-pressed", "false")
    other.click()
    expect(other).to_have_attribute("aria-pressed", "true", timeout=10_000)
    # Shown at once; the server's answer confirms the device took it.
    note = card(page, "Room 6 lamp 2").locator(".card__note")
    expect(note).to_have_attribute("data-status", "ok", timeout=10_000)
    assert switch_of(live_stack, big_house["devices"]["Room 6 lamp 2"])() == "on"
