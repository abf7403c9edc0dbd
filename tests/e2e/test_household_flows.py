"""Household flows in a real browser: unlinking asks first (and relinking restores), an
invitee's sign-up joins the household, admins are offered only what they may do, refusals
are sentences, guests see no emails. Each test makes its own household (and cloud account),
so the demo household the other e2e tests use is left alone."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a long e2e passphrase"

MAKE_HOUSEHOLD = """
import json
from django.contrib.auth import get_user_model
from accounts import services
from accounts.models import Membership
people = json.loads({people!r})
owner_email = people.pop("owner")
_, household = services.sign_up(owner_email, {password!r}, {name!r})
for role, email in people.items():
    user = get_user_model().objects.create_user(username=email, email=email, password={password!r})
    Membership.objects.with_scopes_disabled().create(user=user, household=household, role=role)
print(household.pk)
"""


@dataclass
class Family:
    name: str
    emails: dict[str, str]  # role → email

    def email(self, role: str) -> str:
        return self.emails[role]


def make_family(stack: LiveStack, *roles: str) -> Family:
    """A fresh household with an owner and one person per extra role (all with PASSWORD)."""
    uid = uuid.uuid4().hex[:8]
    emails = {role: f"{role}-{uid}@example.com" for role in ("owner", *roles)}
    name = f"Family {uid}"
    code = MAKE_HOUSEHOLD.format(people=json.dumps(emails), password=PASSWORD, name=name)
    shell(stack, code)
    return Family(name, emails)


def shell(stack: LiveStack, code: str) -> str:
    """What the code printed last (Django's shell may announce its automatic imports first)."""
    output = stack.manage("shell", "-c", code).strip().splitlines()
    return output[-1] if output else ""


def signed_in(new_tab, family: Family, role: str) -> Page:  # type: ignore[no-untyped-def]
    page = new_tab()
    sign_in(page, family.email(role), PASSWORD)
    return page


def member_row(page: Page, email_or_name: str):  # type: ignore[no-untyped-def]
    return page.locator("tr[data-member]").filter(has_text=email_or_name)


def test_unlink_asks_first_cancel_keeps_it_and_relinking_restores(
    new_tab, live_stack: LiveStack
) -> None:
    family = make_family(live_stack)
    sim = live_stack.sim
    cloud_email, cloud_password = f"cabin-{uuid.uuid4().hex[:8]}@example.com", "cabin-pass-1"
    account = sim.control(
        "POST",
        "/accounts",
        {"region": "eu", "password": cloud_password, "countryCode": "+44", "email": cloud_email},
    )
    home = sim.control(
        "POST",
        f"/accounts/{account['apikey']}/homes",
        {"name": "Cabin", "rooms": ["Den", "Porch"], "current": True},
    )
    sim.control(
        "POST",
        "/devices",
        {
            "owner": account["apikey"],
            "uiid": 1,
            "name": "Cabin lamp",
            "familyid": home["familyid"],
            "roomid": home["rooms"][0]["id"],
        },
    )
    page = signed_in(new_tab, family, "owner")

    def link_with_password() -> None:
        page.get_by_label("eWeLink email or phone number").fill(cloud_email)
        page.get_by_label("eWeLink password").fill(cloud_password)
        page.get_by_role("button", name="Link account").click()
        expect(page.get_by_text("Cabin account is linked")).to_be_visible(timeout=20_000)
        # The first load runs in the background: its "Syncing…" goes once it has landed.
        syncing = page.locator("tr[data-account]").locator("[data-account-syncing]")
        expect(syncing).to_have_count(1)
        expect(syncing).to_be_hidden(timeout=20_000)

    page.goto("/accounts/cloud/link/")
    page.get_by_label("Label").fill("Cabin account")
    link_with_password()
    row = page.locator("tr[data-account]").filter(has_text="Cabin account")
    expect(row).to_contain_text("Active")

    # Unlink asks first, naming what goes; Cancel keeps everything.
    row.get_by_role("button", name="Unlink").click()
    expect(page.get_by_role("heading", name="Unlink Cabin account?")).to_be_visible()
    expect(page.locator(".confirm-losses")).to_contain_text(
        re.compile(r"Cabin account: \d+ homes?, \d+ rooms?, 1 thing and their history")
    )
    page.get_by_role("link", name="Cancel").click()
    expect(row).to_contain_text("Active")
    page.goto("/")
    expect(page.get_by_role("heading", name="Cabin lamp", exact=True)).to_be_visible()

    # Confirmed: off the dashboard, listed as unlinked with its date, and a way back.
    page.goto("/accounts/cloud/")
    row.get_by_role("button", name="Unlink").click()
    page.get_by_role("button", name="Unlink Cabin account").click()
    unlinked = page.locator("[data-unlinked-account]")
    expect(unlinked).to_contain_text(re.compile(r"Unlinked — data kept until \d+ \w+ \d{4}"))
    expect(page.locator("tr[data-account]")).to_have_count(0)
    page.goto("/")
    expect(page.get_by_role("heading", name="Cabin lamp", exact=True)).to_have_count(0)

    page.goto("/accounts/cloud/")
    unlinked.get_by_role("link", name="Relink with password").click()
    expect(page.get_by_label("eWeLink email or phone number")).to_have_value(cloud_email)
    link_with_password()
    expect(row).to_contain_text("Active")
    expect(page.locator("[data-unlinked-account]")).to_have_count(0)
    page.goto("/")
    expect(page.get_by_role("heading", name="Cabin lamp", exact=True)).to_be_visible()


def test_an_invitees_sign_up_joins_the_household_without_making_one(
    new_tab, live_stack: LiveStack
) -> None:
    family = make_family(live_stack)
    owner = signed_in(new_tab, family, "owner")
    owner.goto("/accounts/household/")
    owner.get_by_label("Role", exact=True).select_option("member")
    owner.get_by_role("button", name="Create invitation link").click()
    link = owner.get_by_label("Invitation link").input_value()

    invitee = new_tab()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name=f"Join {family.name}")).to_be_visible()
    invitee.get_by_role("link", name="Create an account").click()
    expect(invitee.get_by_text("you will be its owner", exact=False)).to_have_count(0)
    expect(invitee.get_by_label("Household name")).to_have_count(0)
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    invitee.get_by_label("Email").fill(email)
    invitee.get_by_label("Password").fill(PASSWORD)
    invitee.get_by_role("button", name="Create account and join").click()

    # Signed up: sign in (the email is filled in), then straight into the household.
    expect(invitee.get_by_text("Sign in with your email and password")).to_be_visible()
    expect(invitee.get_by_label("Email")).to_have_value(email)
    invitee.get_by_label("Password").fill(PASSWORD)
    invitee.get_by_role("button", name="Sign in").click()
    expect(invitee.get_by_text(f"Welcome to {family.name}")).to_be_visible()
    expect(invitee.locator(".household-name")).to_have_text(family.name)  # the only one
    invitee.goto("/accounts/household/")
    expect(member_row(invitee, email)).to_contain_text("Member")
    memberships = shell(
        live_stack,
        "from accounts.models import Membership as M;"
        f"print(M.objects.with_scopes_disabled().filter(user__email={email!r}).count())",
    )
    assert memberships == "1"  # the invited household only: none of their own


def test_an_admin_is_offered_only_what_they_may_do_and_a_refusal_is_a_sentence(
    new_tab, live_stack: LiveStack
) -> None:
    family = make_family(live_stack, "admin", "member")
    admin = signed_in(new_tab, family, "admin")
    admin.goto("/accounts/household/")
    options = admin.get_by_label("Role", exact=True).locator("option")
    expect(options).to_have_text(["Member", "Guest"])  # no Owner, no Admin
    owner_row = member_row(admin, family.email("owner"))
    expect(owner_row).to_contain_text("Owner")
    expect(owner_row.get_by_role("button")).to_have_count(0)
    expect(owner_row.get_by_role("combobox")).to_have_count(0)
    member = member_row(admin, family.email("member"))
    expect(member.get_by_role("button", name="Remove")).to_be_visible()

    # Demoted meanwhile: the page still shows Remove, the server refuses with a sentence.
    shell(
        live_stack,
        "from accounts.models import Membership as M;"
        f"M.objects.with_scopes_disabled().filter(user__email={family.email('admin')!r})"
        ".update(role='member')",
    )
    member.get_by_role("button", name="Remove").click()
    expect(admin.locator(".message--error")).to_have_text(
        "Only an admin or an owner can remove someone."
    )
    expect(member_row(admin, family.email("member"))).to_be_visible()


def test_the_last_owner_leaving_is_refused_with_a_sentence(new_tab, live_stack) -> None:  # type: ignore[no-untyped-def]
    family = make_family(live_stack)
    owner = signed_in(new_tab, family, "owner")
    owner.goto("/accounts/household/")
    owner.get_by_role("button", name=f"Leave {family.name}").click()
    expect(owner.locator(".message--error")).to_have_text(
        "The last owner cannot leave. Make someone else an owner first."
    )


def test_a_member_leaving_is_asked_first(new_tab, live_stack) -> None:  # type: ignore[no-untyped-def]
    family = make_family(live_stack, "member")
    member = signed_in(new_tab, family, "member")
    member.goto("/accounts/household/")
    member.get_by_role("button", name=f"Leave {family.name}").click()
    expect(member.get_by_role("heading", name=f"Leave {family.name}?")).to_be_visible()
    member.get_by_role("link", name="Cancel").click()
    expect(member.get_by_role("heading", name=family.name, exact=True)).to_be_visible()
    member.get_by_role("button", name=f"Leave {family.name}").click()
    member.get_by_role("button", name=f"Leave {family.name}").click()
    expect(member.get_by_text(f"You left {family.name}.")).to_be_visible()


def test_a_guest_sees_names_and_roles_but_no_emails_nor_invitations(
    new_tab, live_stack: LiveStack
) -> None:
    family = make_family(live_stack, "guest", "member")
    owner = signed_in(new_tab, family, "owner")
    owner.goto("/accounts/household/")
    owner.get_by_label("Email").fill("aunt@example.com")
    owner.get_by_role("button", name="Create invitation link").click()
    expect(owner.get_by_text("for aunt@example.com")).to_be_visible()

    guest = signed_in(new_tab, family, "guest")
    guest.goto("/accounts/household/")
    owner_name = family.email("owner").split("@")[0]
    expect(member_row(guest, owner_name)).to_contain_text("Owner")
    content = guest.locator("main").inner_text()
    assert family.email("owner") not in content
    assert family.email("member") not in content
    assert "aunt@example.com" not in guest.content()
    expect(guest.get_by_text("Open invitations")).to_have_count(0)
    expect(guest.get_by_role("button", name="Create invitation link")).to_have_count(0)


def test_removing_a_member_asks_first_and_cancel_keeps_them(new_tab, live_stack) -> None:  # type: ignore[no-untyped-def]
    family = make_family(live_stack, "member")
    owner = signed_in(new_tab, family, "owner")
    owner.goto("/accounts/household/")
    member = family.email("member")

    member_row(owner, member).get_by_role("button", name="Remove").click()
    expect(
        owner.get_by_role("heading", name=f"Remove {member} from {family.name}?")
    ).to_be_visible()
    expect(owner.locator(".confirm-losses")).to_contain_text("loses access")
    owner.get_by_role("link", name="Cancel").click()
    expect(member_row(owner, member)).to_be_visible()

    member_row(owner, member).get_by_role("button", name="Remove").click()
    owner.get_by_role("button", name=f"Remove {member}").click()
    expect(owner.get_by_text(f"{member} was removed from {family.name}.")).to_be_visible()
    expect(member_row(owner, member)).to_have_count(0)
