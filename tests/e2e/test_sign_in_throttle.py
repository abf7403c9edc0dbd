"""Sign-in for a username guessed at from many addresses is slowed; its owner still gets in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

# An attacker's failures for the user, each from another address (a browser has only one).
ATTACK = """
from django.conf import settings
from axes.models import AccessFailureLog
from tests.factories import UserFactory
UserFactory(email="{email}")
for n in range(settings.LOGIN_USERNAME_FAILURE_LIMIT):
    AccessFailureLog.objects.create(username="{email}", ip_address=f"198.51.100.{{n}}",
                                    user_agent="bot", http_accept="*/*", path_info="/")
"""
AGE = """
from datetime import timedelta
from django.conf import settings
from django.utils import timezone
from axes.models import AccessFailureLog
past = timezone.now() - settings.LOGIN_USERNAME_DELAY - timedelta(seconds=1)
AccessFailureLog.objects.filter(username="{email}").update(attempt_time=past)
"""


def _sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_owner_waits_a_minute_then_signs_in(
    new_tab: Callable[..., Page], live_stack: LiveStack
) -> None:
    email = f"guessed-{uuid.uuid4().hex[:6]}@example.com"
    live_stack.manage("shell", "-c", ATTACK.format(email=email))
    page = new_tab()
    _sign_in(page, email)
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    expect(page.get_by_text(re.compile(r"slowed down\. Try again in \d+ seconds"))).to_be_visible()

    live_stack.manage("shell", "-c", AGE.format(email=email))  # instead of waiting the minute
    _sign_in(page, email)
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_have_count(0)
