"""Staff move a linked account to another household in the admin; the devices follow it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack, sign_in, wait_live
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

# Two households, their owners and a staff user; the cloud account linked to the first.
SETUP = """
from accounts import linking
from accounts.models import Role
from devices.sync import sync_account
from django_scopes import scopes_disabled
from tests.factories import HouseholdFactory, MembershipFactory, UserFactory
with scopes_disabled():
    movers = MembershipFactory(household=HouseholdFactory(name="Movers {tag}"), role=Role.OWNER,
                               user=UserFactory(email="movers-{tag}@example.com"))
    MembershipFactory(household=HouseholdFactory(name="Receivers {tag}"), role=Role.OWNER,
                      user=UserFactory(email="receivers-{tag}@example.com"))
    UserFactory(email="staff-{tag}@example.com", is_staff=True, is_superuser=True)
    account = linking.link_with_password(movers, identifier="{email}", password="{password}",
                                         country_code="+1", label="Porch account {tag}")
    sync_account(account.pk)
"""


def card(page: Page, name: str):  # type: ignore[no-untyped-def]
    title = page.get_by_role("heading", name=name, exact=True)
    return page.locator("article[data-thing]").filter(has=title)


def test_staff_move_an_account_and_its_devices_to_another_household(
    new_tab: Callable[..., Page], live_stack: LiveStack
) -> None:
    tag = uuid.uuid4().hex[:6]
    email, password, lamp = f"cloud-{tag}@example.com", "pw-" + tag * 2, f"Porch lamp {tag}"
    cloud = live_stack.sim.control(
        "POST", "/accounts",
        {"region": "us", "email": email, "password": password, "countryCode": "+1"},
    )  # fmt: skip
    device = live_stack.sim.control(
        "POST", "/devices",
        {"owner": cloud["apikey"], "uiid": 1, "name": lamp, "params": {"switch": "off"},
         "online": True},
    )  # fmt: skip
    live_stack.manage("shell", "-c", SETUP.format(tag=tag, email=email, password=password))

    movers = new_tab()
    sign_in(movers, f"movers-{tag}@example.com", PASSWORD)
    expect(card(movers, lamp)).to_be_visible()
    # A household owner who is not staff is sent to the admin's sign-in, not the admin.
    movers.goto("/admin/accounts/linkedaccount/")
    expect(movers).to_have_url(re.compile(r"/admin/login/"))

    staff = new_tab()
    staff.goto("/admin/login/")
    staff.get_by_label("Username").fill(f"staff-{tag}@example.com")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Log in").click()
    staff.goto("/admin/accounts/linkedaccount/")
    staff.locator("tr", has_text=f"Porch account {tag}").locator("input.action-select").check()
    staff.locator('select[name="action"]').select_option("move_to_household")
    staff.get_by_role("button", name="Go").click()
    # It asks first, naming the account and where it is now.
    expect(staff.get_by_text(f"Porch account {tag} — now in Movers {tag}")).to_be_visible()
    staff.get_by_label("Move to").select_option(label=f"Receivers {tag}")
    staff.get_by_role("button", name="Move").click()
    expect(staff.get_by_text(f"Porch account {tag} moved to Receivers {tag}")).to_be_visible()

    receivers = new_tab()
    sign_in(receivers, f"receivers-{tag}@example.com", PASSWORD)
    wait_live(receivers)  # the worker restarted the account for its new household
    card(receivers, lamp).get_by_role("button", name="Power").click()
    expect(card(receivers, lamp).locator(".card__note")).to_have_text("Done", timeout=10_000)
    params = live_stack.sim.control("GET", f"/devices/{device['deviceid']}")["params"]
    assert params["switch"] == "on"  # the new household controls the device
    movers.goto("/")
    expect(card(movers, lamp)).to_have_count(0)
