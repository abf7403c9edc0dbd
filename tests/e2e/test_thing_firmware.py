"""Thing pages, firmware: check now, upgrade as an admin, success and failure on two pages."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack
from tests.e2e.things import forged_post, open_thing, own_device

pytestmark = pytest.mark.browser

OLD, NEW = "3.9.1", "3.10.0"  # numerically newer, though not as text


def firmware_panel(page: Page) -> Locator:
    return page.locator('[data-fragment="thing-firmware"]')


@contextlib.contextmanager
def reboot_taking(stack: LiveStack, seconds: float) -> Iterator[None]:
    """cloudsim's OTA reboot lasts `seconds` (long enough to see "in progress"), then back."""
    before = stack.sim.control("GET", "/settings")["ota_reboot_s"]
    stack.sim.control("POST", "/settings", {"ota_reboot_s": seconds})
    try:
        yield
    finally:
        stack.sim.control("POST", "/settings", {"ota_reboot_s": before})


def offer_and_check(stack: LiveStack, page: Page, deviceid: str, outcome: str) -> None:
    """cloudsim offers NEW (upgrades ending in `outcome`); "Check now" finds it."""
    stack.sim.control("POST", f"/devices/{deviceid}/ota", {"version": NEW, "outcome": outcome})
    panel = firmware_panel(page)
    expect(panel.locator("[data-firmware-offer]")).to_contain_text("up to date")
    panel.get_by_role("button", name="Check now").click()
    expect(page.locator(".messages")).to_contain_text(f"firmware {NEW} is available")
    expect(firmware_panel(page).locator("[data-firmware-offer]")).to_have_text(NEW)


def sim_version(stack: LiveStack, deviceid: str) -> str:
    return str(stack.sim.control("GET", f"/devices/{deviceid}")["fwVersion"])


def test_an_admin_upgrades_and_a_second_page_follows_to_the_new_version(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    with (
        own_device(live_stack, "Loft plug", fwVersion=OLD) as (deviceid, pk),
        reboot_taking(live_stack, 3),
    ):
        page = open_thing(new_tab, role_cookies("admin"), pk)
        other = open_thing(new_tab, owner_cookies, pk)
        expect(firmware_panel(page).locator("[data-firmware-current]")).to_have_text(OLD)
        offer_and_check(live_stack, page, deviceid, "succeed")
        expect(firmware_panel(other).locator("[data-firmware-offer]")).to_have_text(NEW)

        firmware_panel(page).get_by_role("button", name=f"Upgrade to {NEW}").click()
        expect(page.locator(".messages")).to_contain_text(f"Upgrade to {NEW} started")
        pending = firmware_panel(other).locator('[data-upgrade-state="pending"]')
        expect(pending).to_contain_text(f"Upgrade to {NEW} in progress")
        expect(firmware_panel(page).get_by_role("button", name=f"Upgrade to {NEW}")).to_have_count(
            0
        )

        for tab in (page, other):
            done = firmware_panel(tab).locator('[data-upgrade-state="succeeded"]')
            expect(done).to_contain_text(f"Upgraded from {OLD} to {NEW}")
            expect(done).to_contain_text(f"Up to date with {NEW}")
            expect(firmware_panel(tab).locator("[data-firmware-current]")).to_have_text(NEW)
        assert sim_version(live_stack, deviceid) == NEW
        activity = other.locator('[data-fragment="thing-activity"] [data-action="upgrade"]')
        expect(activity).to_contain_text("done")
        assert other.evaluate("window.notReloaded") is True


def test_a_failed_upgrade_ends_visibly_on_both_pages(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with (
        own_device(live_stack, "Cellar plug", fwVersion=OLD) as (deviceid, pk),
        reboot_taking(live_stack, 2),
    ):
        page, other = (open_thing(new_tab, owner_cookies, pk) for _ in range(2))
        offer_and_check(live_stack, page, deviceid, "fail")
        firmware_panel(page).get_by_role("button", name=f"Upgrade to {NEW}").click()
        for tab in (page, other):
            failed = firmware_panel(tab).locator('[data-upgrade-state="failed"]')
            expect(failed).to_contain_text(f"The upgrade to {NEW} failed")
            expect(failed).to_contain_text(f"came back with {OLD}")
            expect(firmware_panel(tab).locator("[data-firmware-current]")).to_have_text(OLD)
        assert sim_version(live_stack, deviceid) == OLD
        # The offer stays: the upgrade may be tried again.
        expect(
            firmware_panel(other).get_by_role("button", name=f"Upgrade to {NEW}")
        ).to_be_visible()


def test_an_upgrade_that_never_finishes_times_out_with_a_clear_failure(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Attic plug", fwVersion=OLD) as (deviceid, pk):
        page, other = (open_thing(new_tab, owner_cookies, pk) for _ in range(2))
        offer_and_check(live_stack, page, deviceid, "hang")
        firmware_panel(page).get_by_role("button", name=f"Upgrade to {NEW}").click()
        expect(firmware_panel(other).locator('[data-upgrade-state="pending"]')).to_be_visible()
        # The e2e stack's OTA_UPGRADE_TIMEOUT_S is 20.
        for tab in (other, page):
            failed = firmware_panel(tab).locator('[data-upgrade-state="failed"]')
            expect(failed).to_contain_text(
                "did not come back with the new firmware within 20 seconds", timeout=40_000
            )
        live_stack.sim.control("POST", f"/devices/{deviceid}/online", {"online": True})


@pytest.mark.parametrize("role", ["member", "guest"])
def test_members_and_guests_see_versions_but_cannot_check_or_upgrade(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
    role: str,
) -> None:
    with own_device(live_stack, f"Porch plug {role}", fwVersion=OLD) as (deviceid, pk):
        offer_and_check(live_stack, open_thing(new_tab, owner_cookies, pk), deviceid, "succeed")
        page = open_thing(new_tab, role_cookies(role), pk)
        panel = firmware_panel(page)
        expect(panel.locator("[data-firmware-current]")).to_have_text(OLD)
        expect(panel.locator("[data-firmware-offer]")).to_have_text(NEW)
        expect(panel.get_by_role("button")).to_have_count(0)
        answer = forged_post(page, f"/things/{pk}/upgrade/", {"version": NEW})
        assert "needs the admin role" in answer
        answer = forged_post(page, f"/things/{pk}/ota-check/", {})
        assert "needs the admin role" in answer
        assert sim_version(live_stack, deviceid) == OLD
        sim = live_stack.sim.control("GET", f"/devices/{deviceid}")
        assert sim["ota_version"] == NEW  # not installed
