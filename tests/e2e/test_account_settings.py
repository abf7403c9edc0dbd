"""A linked eWeLink account's own settings, in a real browser against cloudsim: the profile,
the cloud password, closing the account; owners only. Each test links its own fresh cloud
account in its own household, so the demo household's accounts are never touched."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.test_household_flows import Family, make_family, signed_in

pytestmark = pytest.mark.browser
CLOSE = 3  # the cloud's code type for closing an account
OLD, NEW = "settings-pass-1", "settings-pass-2"


@dataclass(frozen=True)
class Linked:
    family: Family
    email: str
    apikey: str
    page: Page  # the owner's, on the accounts page


def link_fresh(new_tab, stack: LiveStack, *roles: str) -> Linked:  # type: ignore[no-untyped-def]
    """A fresh household whose owner links a fresh cloud account with one lamp in a home."""
    family = make_family(stack, *roles)
    email = f"own-{uuid.uuid4().hex[:8]}@example.com"
    sim = stack.sim
    account = sim.control(
        "POST", "/accounts",
        {"region": "eu", "password": OLD, "countryCode": "+44", "email": email,
         "nickname": "Before"},
    )  # fmt: skip
    home = sim.control(
        "POST", f"/accounts/{account['apikey']}/homes",
        {"name": "Flat", "rooms": ["Hall"], "current": True},
    )  # fmt: skip
    sim.control(
        "POST", "/devices",
        {"owner": account["apikey"], "uiid": 1, "name": "Hall lamp",
         "familyid": home["familyid"], "roomid": home["rooms"][0]["id"]},
    )  # fmt: skip
    page = signed_in(new_tab, family, "owner")
    page.goto("/accounts/cloud/link/")
    page.get_by_label("Label").fill("Flat account")
    link_with_password(page, email, OLD)
    return Linked(family, email, account["apikey"], page)


def link_with_password(page: Page, email: str, password: str) -> None:
    page.get_by_label("eWeLink email or phone number").fill(email)
    page.get_by_label("eWeLink password").fill(password)
    page.get_by_role("button", name="Link account").click()
    expect(page.get_by_text("Flat account is linked")).to_be_visible(timeout=20_000)
    syncing = page.locator("tr[data-account]").locator("[data-account-syncing]")
    expect(syncing).to_be_hidden(timeout=20_000)


def open_settings(page: Page) -> None:
    page.goto("/accounts/cloud/")
    page.locator("tr[data-account]").filter(has_text="Flat account").get_by_role(
        "link", name="Settings of Flat account"
    ).click()
    expect(page.get_by_role("heading", name="Settings of Flat account")).to_be_visible()


def cloud_account(stack: LiveStack, email: str) -> dict | None:
    return next((a for a in stack.sim.control("GET", "/accounts") if a.get("email") == email), None)


def test_edit_the_profile(new_tab, live_stack: LiveStack) -> None:
    linked = link_fresh(new_tab, live_stack)
    page = linked.page
    open_settings(page)
    expect(page.locator("[data-profile-nickname]")).to_have_text("Before")
    expect(page.locator("[data-account-profile]")).to_contain_text(linked.email)

    # An empty nickname is refused in words; the cloud keeps the old one.
    page.get_by_label("Nickname").fill("")
    page.get_by_label("Send me eWeLink's newsletter by email").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a nickname")
    expect(page.get_by_label("Send me eWeLink's newsletter by email")).to_be_checked()
    assert cloud_account(live_stack, linked.email)["nickname"] == "Before"  # type: ignore[index]

    page.get_by_label("Nickname").fill("Flat owner")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("The eWeLink profile was saved.")).to_be_visible()
    expect(page.locator("[data-profile-nickname]")).to_have_text("Flat owner")
    expect(page.get_by_label("Send me eWeLink's newsletter by email")).to_be_checked()
    assert cloud_account(live_stack, linked.email)["nickname"] == "Flat owner"  # type: ignore[index]


def test_change_the_password_and_the_link_still_syncs(new_tab, live_stack: LiveStack) -> None:
    linked = link_fresh(new_tab, live_stack)
    page = linked.page
    open_settings(page)
    form = page.locator("[data-password-form]")
    form.get_by_label("Current eWeLink password").fill("not-the-password")
    form.get_by_label("New eWeLink password").fill(NEW)
    form.get_by_label("New password again").fill(NEW)
    form.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("current password is not right")
    assert NEW not in page.content()

    form.get_by_label("Current eWeLink password").fill(OLD)
    form.get_by_label("New eWeLink password").fill(NEW)
    form.get_by_label("New password again").fill(NEW)
    form.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("The eWeLink password was changed")).to_be_visible()

    # The stored session still works: a device added at the cloud arrives with a resync.
    live_stack.sim.control("POST", "/devices", {"owner": linked.apikey, "uiid": 1,
                                                "name": "Porch lamp"})  # fmt: skip
    page.goto("/accounts/cloud/")
    row = page.locator("tr[data-account]").filter(has_text="Flat account")
    row.get_by_role("button", name="Resync").click()
    expect(row.locator("[data-account-syncing]")).to_be_hidden(timeout=20_000)
    expect(row).to_contain_text("Active")
    page.goto("/")
    expect(page.get_by_role("heading", name="Porch lamp", exact=True)).to_be_visible()

    # cloudsim takes the new password for a login (relinking signs in with it).
    page.goto("/accounts/cloud/link/")
    page.get_by_label("Label").fill("Flat account")
    link_with_password(page, linked.email, NEW)


def test_close_the_account(new_tab, live_stack: LiveStack) -> None:
    linked = link_fresh(new_tab, live_stack)
    page = linked.page
    dashboard = signed_in(new_tab, linked.family, "owner")
    dashboard.goto("/")
    expect(dashboard.get_by_role("heading", name="Hall lamp", exact=True)).to_be_visible()
    wait_live(dashboard)
    dashboard.evaluate("window.notReloaded = true")

    open_settings(page)
    page.get_by_role("link", name="Close this eWeLink account…").click()
    expect(page.locator(".confirm-losses")).to_contain_text("every device in it, for every app")
    page.get_by_role("button", name=f"Send the code to {linked.email}").click()
    expect(page.locator("[data-code-sent-to]")).to_contain_text(linked.email)
    codes = live_stack.sim.control("GET", f"/verification-codes?target={quote(linked.email)}")
    code = str(codes[f"{CLOSE}:{linked.email}"])

    # The address must be typed exactly; a slip keeps everything.
    page.get_by_label("Code from eWeLink").fill(code)
    page.get_by_label("Type the account's email or phone number").fill("someone@example.com")
    page.get_by_role("button", name="Close the eWeLink account for good").click()
    expect(page.get_by_role("alert")).to_contain_text("Type it exactly")
    assert cloud_account(live_stack, linked.email) is not None

    page.get_by_label("Code from eWeLink").fill(code)
    page.get_by_label("Type the account's email or phone number").fill(linked.email)
    page.get_by_role("button", name="Close the eWeLink account for good").click()
    expect(page.get_by_text(f"The eWeLink account {linked.email} was closed")).to_be_visible()
    assert cloud_account(live_stack, linked.email) is None
    expect(page.locator("tr[data-account]")).to_have_count(0)
    expect(page.locator("[data-unlinked-account]")).to_have_count(0)
    expect(dashboard.get_by_role("heading", name="Hall lamp", exact=True)).to_have_count(
        0, timeout=20_000
    )
    assert dashboard.evaluate("window.notReloaded === true")


def test_an_admin_is_refused_and_sees_no_link(new_tab, live_stack: LiveStack) -> None:
    linked = link_fresh(new_tab, live_stack, "admin")
    account_url = linked.page.locator("tr[data-account] [data-account-settings]").get_attribute(
        "href"
    )
    assert account_url
    admin = signed_in(new_tab, linked.family, "admin")
    admin.goto("/accounts/cloud/")
    expect(admin.locator("tr[data-account]")).to_have_count(1)
    expect(admin.locator("[data-account-settings]")).to_have_count(0)
    answer = admin.goto(account_url)
    assert answer is not None
    assert answer.status == 403
    close = admin.goto(account_url.replace("/settings/", "/close/"))
    assert close is not None
    assert close.status == 403
    assert cloud_account(live_stack, linked.email) is not None
