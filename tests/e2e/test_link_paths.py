"""Linking an eWeLink account with a code the cloud sends, in a real browser against cloudsim:
an SMS code, a new eWeLink account, a forgotten password. Each test uses its own household
(and cloud account) and unlinks what it linked, so the demo household is left as it was."""

from __future__ import annotations

import random
import re
import uuid
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack
from tests.e2e.test_household_flows import make_family, signed_in

pytestmark = pytest.mark.browser
SMS, REGISTER, RESET = 4, 0, 1


def sent_code(stack: LiveStack, target: str, kind: int) -> str:
    """The code cloudsim 'sent' to an address (its simulated inbox)."""
    codes = stack.sim.control("GET", f"/verification-codes?target={quote(target)}")
    return str(codes[f"{kind}:{target}"])


def expect_linked(page: Page, label: str) -> None:
    expect(page.get_by_text(f"{label} is linked")).to_be_visible(timeout=20_000)
    row = page.locator("tr[data-account]").filter(has_text=label)
    expect(row).to_contain_text("Active")
    expect(row.locator("[data-account-syncing]")).to_be_hidden(timeout=20_000)


def unlink(page: Page, label: str) -> None:
    """Unlink through the page (asked first), so the cloud session ends too."""
    page.goto("/accounts/cloud/")
    page.locator("tr[data-account]").filter(has_text=label).get_by_role(
        "button", name="Unlink"
    ).click()
    page.get_by_role("button", name=f"Unlink {label}").click()
    expect(page.locator("tr[data-account]")).to_have_count(0)


def test_link_by_sms_code_and_its_devices_sync(new_tab, live_stack: LiveStack) -> None:
    family = make_family(live_stack)
    sim = live_stack.sim
    national = f"139{random.randrange(10**8):08d}"
    account = sim.control(
        "POST",
        "/accounts",
        {"region": "cn", "password": "cn-pass-123", "countryCode": "+86",
         "phoneNumber": f"+86{national}"},
    )  # fmt: skip
    home = sim.control(
        "POST", f"/accounts/{account['apikey']}/homes",
        {"name": "Shanghai flat", "rooms": ["Study"], "current": True},
    )  # fmt: skip
    sim.control(
        "POST", "/devices",
        {"owner": account["apikey"], "uiid": 1, "name": "Study lamp",
         "familyid": home["familyid"], "roomid": home["rooms"][0]["id"]},
    )  # fmt: skip
    page = signed_in(new_tab, family, "owner")
    page.goto("/accounts/cloud/")
    page.get_by_role("link", name="Link with a text message code").click()

    # Another country's number is refused in words, and what was typed stays.
    page.get_by_label("Phone number").fill("7700900123")
    page.get_by_label("Country calling code").fill("+44")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("alert")).to_contain_text("only for mainland China numbers (+86)")
    expect(page.get_by_label("Phone number")).to_have_value("7700900123")

    page.get_by_label("Country calling code").fill("+86")
    page.get_by_label("Phone number").fill(national)
    page.get_by_role("button", name="Send code").click()
    expect(page.locator("[data-code-sent-to]")).to_contain_text(national)
    # The resend button waits, and the page says how long.
    expect(page.get_by_role("button", name="Send a new code")).to_be_disabled()
    expect(page.locator("[data-resend-wait]")).to_contain_text(
        re.compile(r"You can ask for a new code in \d+ seconds")
    )
    page.get_by_label("Code").fill(sent_code(live_stack, f"+86{national}", SMS))
    page.get_by_label("Label").fill("Shanghai")
    page.get_by_role("button", name="Link account").click()
    expect_linked(page, "Shanghai")
    page.goto("/")
    expect(page.get_by_role("heading", name="Study lamp", exact=True)).to_be_visible()
    unlink(page, "Shanghai")


def test_create_a_new_ewelink_account_and_link_it(new_tab, live_stack: LiveStack) -> None:
    family = make_family(live_stack)
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    page = signed_in(new_tab, family, "owner")
    page.goto("/accounts/cloud/")
    page.get_by_role("link", name="Create a new eWeLink account").click()
    page.get_by_label("eWeLink email or phone number").fill(email)
    page.get_by_label("Country calling code").fill("+44")
    page.get_by_role("button", name="Send code").click()

    # A wrong code: 10002 in words, the address kept, the code and password not echoed.
    page.get_by_label("Code").fill("999999x")
    page.get_by_label("Password for the new eWeLink account").fill("new-account-pass")
    page.get_by_role("button", name="Create and link account").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    expect(page.locator("[data-code-sent-to]")).to_contain_text(email)
    expect(page.get_by_label("Code")).to_have_value("")
    expect(page.get_by_label("Password for the new eWeLink account")).to_have_value("")
    assert "999999x" not in page.content()

    page.get_by_label("Code").fill(sent_code(live_stack, email, REGISTER))
    page.get_by_label("Password for the new eWeLink account").fill("new-account-pass")
    page.get_by_label("Label").fill("Brand new")
    page.get_by_role("button", name="Create and link account").click()
    expect_linked(page, "Brand new")
    made = [a for a in live_stack.sim.control("GET", "/accounts") if a.get("email") == email]
    assert len(made) == 1
    unlink(page, "Brand new")


def test_an_existing_account_is_offered_sign_in_or_reset(new_tab, live_stack: LiveStack) -> None:
    family = make_family(live_stack)
    email = f"taken-{uuid.uuid4().hex[:8]}@example.com"
    live_stack.sim.control(
        "POST", "/accounts",
        {"region": "eu", "password": "taken-pass-1", "countryCode": "+44", "email": email},
    )  # fmt: skip
    page = signed_in(new_tab, family, "owner")
    page.goto("/accounts/cloud/link/new/")
    page.get_by_label("eWeLink email or phone number").fill(email)
    page.get_by_label("Country calling code").fill("+44")
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code").fill("123456")
    page.get_by_label("Password for the new eWeLink account").fill("another-pass-1")
    page.get_by_role("button", name="Create and link account").click()
    expect(page.get_by_role("alert")).to_contain_text("already an eWeLink account")
    page.get_by_role("link", name="link it with its password").click()
    expect(page.get_by_label("eWeLink email or phone number")).to_have_value(email)


def test_reset_a_password_then_link_with_it(new_tab, live_stack: LiveStack) -> None:
    family = make_family(live_stack)
    email = f"forgot-{uuid.uuid4().hex[:8]}@example.com"
    live_stack.sim.control(
        "POST", "/accounts",
        {"region": "eu", "password": "old-pass-123", "countryCode": "+44", "email": email},
    )  # fmt: skip
    page = signed_in(new_tab, family, "owner")
    page.goto("/accounts/cloud/link/")
    page.get_by_role("link", name="Forgot your eWeLink password?").click()
    page.get_by_label("eWeLink email or phone number").fill(email)
    page.get_by_label("Country calling code").fill("+44")
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code").fill(sent_code(live_stack, email, RESET))
    page.get_by_label("New eWeLink password").fill("fresh-pass-456")
    page.get_by_role("button", name="Set new password").click()

    expect(page.get_by_text("The eWeLink password was changed")).to_be_visible()
    expect(page.get_by_label("eWeLink email or phone number")).to_have_value(email)
    expect(page.get_by_label("Country calling code")).to_have_value("+44")
    page.get_by_label("eWeLink password").fill("fresh-pass-456")
    page.get_by_label("Label").fill("Remembered")
    page.get_by_role("button", name="Link account").click()
    expect_linked(page, "Remembered")
    unlink(page, "Remembered")


def test_a_member_is_refused_and_offered_no_code_links(new_tab, live_stack: LiveStack) -> None:
    family = make_family(live_stack, "member")
    page = signed_in(new_tab, family, "member")
    for path in ("/accounts/cloud/link/sms/", "/accounts/cloud/link/new/",
                 "/accounts/cloud/link/reset/"):  # fmt: skip
        response = page.goto(path)
        assert response is not None
        assert response.status == 403
    page.goto("/accounts/cloud/")
    expect(page.get_by_role("link", name="Link with a text message code")).to_have_count(0)
    expect(page.get_by_role("link", name="Create a new eWeLink account")).to_have_count(0)
