"""An open dashboard follows its user's access (issue 16): signed out elsewhere or removed
from the household, the page leaves the household's live data at once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack, sign_in, wait_live

pytestmark = pytest.mark.browser

ADD_MEMBER = """
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled
from accounts.models import Membership
with scopes_disabled():
    owner = Membership.objects.get(user__email={owner!r})
    user = get_user_model().objects.create_user({email!r}, {email!r}, {password!r})
    Membership.objects.create(user=user, household=owner.household, role="member")
"""
REMOVE_MEMBER = """
from django_scopes import scopes_disabled
from accounts import services
from accounts.models import Membership
with scopes_disabled():
    owner = Membership.objects.get(user__email={owner!r})
    target = Membership.objects.get(user__email={email!r})
services.remove_member(owner, target)
"""


def test_signing_out_in_one_tab_takes_the_other_tab_to_sign_in(
    new_tab: Callable[..., Page], live_stack: LiveStack
) -> None:
    first = new_tab()
    sign_in(first, live_stack.email, live_stack.password)  # a session of this test's own
    wait_live(first)
    second = first.context.new_page()
    second.goto("/")
    wait_live(second)

    second.locator("summary", has_text=live_stack.email).click()  # the account menu
    second.get_by_role("button", name="Sign out").click()

    expect(first).to_have_url(re.compile(r"/accounts/login/"), timeout=10_000)
    expect(first.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_removed_member_leaves_the_household_page_at_once(
    new_tab: Callable[..., Page], live_stack: LiveStack
) -> None:
    email, password = f"member-{uuid.uuid4().hex[:8]}@example.com", "a long member pass 16"
    live_stack.manage(
        "shell", "-c", ADD_MEMBER.format(owner=live_stack.email, email=email, password=password)
    )
    member = new_tab()
    sign_in(member, email, password)
    wait_live(member)
    expect(member.locator("article[data-thing]").first).to_be_visible()

    live_stack.manage("shell", "-c", REMOVE_MEMBER.format(owner=live_stack.email, email=email))

    # No household left: the page reloads into "create a household", the cards are gone.
    expect(member).to_have_url(re.compile(r"/accounts/household/new/"), timeout=10_000)
    expect(member.locator("article[data-thing]")).to_have_count(0)


# Keeps the page's websockets reachable from the test, to cut them as a network would.
TRACK_SOCKETS = """
const Native = window.WebSocket;
window.__sockets = [];
window.WebSocket = class extends Native {
  constructor(...args) { super(...args); window.__sockets.push(this); }
};
"""


def test_a_page_whose_session_ended_while_it_was_cut_off_goes_to_sign_in(
    new_tab: Callable[..., Page], live_stack: LiveStack
) -> None:
    """The 4410 that tells a page its access changed can be lost (the connection broke first):
    a page whose reconnects are refused asks the server whether it is still signed in, and
    follows it to the sign-in page instead of retrying forever."""
    page = new_tab()
    page.add_init_script(TRACK_SOCKETS)
    sign_in(page, live_stack.email, live_stack.password)  # a session of this test's own
    wait_live(page)
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    # The session ends behind the page's back: no socket of it hears about it ...
    live_stack.manage(
        "shell",
        "-c",
        "from django.contrib.sessions.models import Session\n"
        f"Session.objects.filter(session_key={key!r}).delete()\n",
    )
    # ... and its connection breaks without a close code, as a dropped network does.
    page.evaluate("window.__sockets.forEach((socket) => socket.close())")
    expect(page).to_have_url(re.compile(r"/accounts/login/"), timeout=30_000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
