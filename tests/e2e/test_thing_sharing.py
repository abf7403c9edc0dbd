"""Thing pages: sharing an own device with another eWeLink user, by role, live on a second page.

The fresh devices belong to the demo's US account; cloudsim shares only within a region (the
demo guest account is in the EU), so each test makes its own US account to share with.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack
from tests.e2e.things import forged_post, open_thing, own_device, sync_owner

pytestmark = pytest.mark.browser

NO_SUCH_USER = "There is no eWeLink account with that email or phone number"


def sharing_panel(page: Page) -> Locator:
    return page.locator('[data-fragment="thing-sharing"]')


def shared_with(stack: LiveStack, deviceid: str) -> list[dict[str, Any]]:
    return list(stack.sim.control("GET", f"/devices/{deviceid}")["shared_with"])


def us_account(stack: LiveStack) -> dict[str, Any]:
    """A new eWeLink account in the owner's region (US), to share with."""
    email = f"share-{uuid.uuid4().hex[:10]}@example.com"
    body = {"region": "us", "email": email, "password": "pass-1234", "nickname": "Kim"}
    return dict(stack.sim.control("POST", "/accounts", body))


def test_an_admin_shares_changes_rights_and_stops_and_a_second_page_follows(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    owner_cookies: dict[str, Any],
    live_stack: LiveStack,
) -> None:
    friend = us_account(live_stack)
    with own_device(live_stack, "Porch lamp") as (deviceid, pk):
        page = open_thing(new_tab, role_cookies("admin"), pk)
        other = open_thing(new_tab, owner_cookies, pk)
        expect(sharing_panel(other).locator("[data-no-shares]")).to_be_visible()

        panel = sharing_panel(page)
        panel.get_by_label("Their eWeLink email").fill(friend["email"].upper())
        panel.get_by_label("Create timers").check()
        panel.get_by_label("Edit timers").check()
        panel.get_by_role("button", name="Share", exact=True).click()
        expect(page.locator(".messages")).to_contain_text(f"Shared with {friend['email']}")
        assert shared_with(live_stack, deviceid) == [{"apikey": friend["apikey"], "permit": 3}]
        row = sharing_panel(other).locator("[data-share]")
        expect(row.locator("[data-share-who]")).to_have_text(friend["email"])
        expect(row.locator("[data-share-rights]")).to_have_text(
            "use it and create timers and edit timers"
        )

        mine = sharing_panel(page).locator("[data-share]")
        mine.get_by_label("Edit timers").uncheck()
        mine.get_by_label("Turn timers on and off").check()
        mine.get_by_role("button", name="Save rights").click()
        expect(page.locator(".messages")).to_contain_text("may now use it and create timers")
        assert shared_with(live_stack, deviceid) == [{"apikey": friend["apikey"], "permit": 9}]
        expect(row.locator("[data-share-rights]")).to_have_text(
            "use it and create timers and turn timers on and off"
        )

        sharing_panel(page).get_by_role(
            "button", name=f"Stop sharing with {friend['email']}"
        ).click()
        expect(page.locator("h1")).to_contain_text(f"with {friend['email']}?")
        assert shared_with(live_stack, deviceid) == [{"apikey": friend["apikey"], "permit": 9}]
        page.get_by_role("button", name="Stop sharing").click()
        expect(page.locator(".messages")).to_contain_text("No longer shared with")
        assert shared_with(live_stack, deviceid) == []
        for seen in (page, other):
            expect(sharing_panel(seen).locator("[data-no-shares]")).to_be_visible()
        assert other.evaluate("window.notReloaded === true")
        activity = other.locator('[data-fragment="thing-activity"]')
        for action in ("share", "share_permit", "unshare"):
            expect(activity.locator(f'[data-action="{action}"][data-result="ok"]')).to_have_count(1)


def test_an_unknown_or_other_region_user_is_no_such_user_and_nothing_changes(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Porch sensor") as (deviceid, pk):
        page = open_thing(new_tab, owner_cookies, pk)
        for email in (f"nobody-{uuid.uuid4().hex[:8]}@example.com", "demo-eu-guest@example.com"):
            sharing_panel(page).get_by_label("Their eWeLink email").fill(email)
            sharing_panel(page).get_by_role("button", name="Share", exact=True).click()
            expect(page.locator(".messages")).to_contain_text(NO_SUCH_USER)
            assert shared_with(live_stack, deviceid) == []
            expect(sharing_panel(page).locator("[data-share]")).to_have_count(0)
        failed = page.locator('[data-fragment="thing-activity"] [data-action="share"]')
        expect(failed).to_have_count(2)
        expect(failed.first).to_have_attribute("data-result", "failed")


def test_a_bad_phone_or_country_code_is_refused_before_the_cloud(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    refusals = [
        ("49", "15112345678", "A country code is a + and one to four digits"),
        ("+1", "555-CALL-NOW", "A phone number is digits only"),
        ("+1", "+4915112345678", "starts with another country code"),
    ]
    with own_device(live_stack, "Porch siren") as (deviceid, pk):
        page = open_thing(new_tab, owner_cookies, pk)
        for country, phone, words in refusals:
            panel = sharing_panel(page)
            panel.get_by_label("Country code").fill(country)
            panel.get_by_label("Phone number").fill(phone)
            panel.get_by_role("button", name="Share", exact=True).click()
            expect(page.locator(".messages")).to_contain_text(words)
            assert shared_with(live_stack, deviceid) == []
        sharing_panel(page).get_by_label("Their eWeLink email").fill("not-an-email")
        sharing_panel(page).get_by_role("button", name="Share", exact=True).click()
        expect(page.locator(".messages")).to_contain_text("is not an email address")
        # No cloud call was made: every call through the cloud is recorded, ok or failed.
        activity = page.locator('[data-fragment="thing-activity"] [data-action="share"]')
        expect(activity).to_have_count(0)
        assert shared_with(live_stack, deviceid) == []


@pytest.mark.parametrize("role", ["member", "guest"])
def test_members_and_guests_see_the_shares_but_cannot_share_or_unshare(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
    role: str,
) -> None:
    friend = us_account(live_stack)
    stranger = us_account(live_stack)
    with own_device(live_stack, f"Porch fan {role}") as (deviceid, pk):
        live_stack.sim.control(
            "POST", f"/devices/{deviceid}/share", {"to": friend["apikey"], "permit": 15}
        )
        sync_owner(live_stack, live_stack.apikey_of("Garage light"))
        page = open_thing(new_tab, role_cookies(role), pk)
        panel = sharing_panel(page)
        expect(panel.locator("[data-share-who]")).to_have_text(friend["email"])
        expect(panel.locator("[data-share-rights]")).to_have_text(
            "use it and do everything with its timers"
        )
        expect(panel.locator("form")).to_have_count(0)
        expect(panel).to_contain_text("Only admins and owners share devices")

        answer = forged_post(
            page, f"/things/{pk}/share/", {"email": stranger["email"], "permit": "15"}
        )
        assert "needs the admin role" in answer
        share_id = panel.locator("[data-share]").get_attribute("data-share") or ""
        answer = forged_post(page, f"/things/{pk}/unshare/", {"share": share_id})
        assert "needs the admin role" in answer
        answer = forged_post(
            page, f"/things/{pk}/share/permit/", {"share": share_id, "permit": "1", "seen": "15"}
        )
        assert "needs the admin role" in answer
        # A share row that is not this thing's is a 404, whoever asks.
        assert forged_post(page, f"/things/{pk}/unshare/", {"share": "999999"}).startswith("404")
        assert shared_with(live_stack, deviceid) == [{"apikey": friend["apikey"], "permit": 15}]
