"""The account health board in a real browser against cloudsim: a healthy account is green; a
dropped socket, a rejected refresh token and a failing sync each show with their reason; a
member is refused. Each test links its own fresh cloud account in its own household.

The board is live (an account event redraws it): one test watches it change without a reload;
the others reload it until the account's level changes, which does not depend on that.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.test_account_settings import Linked, link_fresh
from tests.e2e.test_household_flows import make_family, shell, signed_in

pytestmark = pytest.mark.browser
LABEL = "Flat account"  # what link_fresh names the account
REFRESH_REJECTED = """
from datetime import timedelta
from django.utils import timezone
from django_scopes import scopes_disabled
from accounts.models import LinkedAccount
from jobs.tasks import refresh_tokens_for_account
with scopes_disabled():
    account = LinkedAccount.objects.get(apikey={apikey!r})
    # Due for renewal, so the refresh job asks the cloud (which refuses the refresh token).
    LinkedAccount.objects.filter(pk=account.pk).update(
        access_expires_at=timezone.now() + timedelta(days=1))
refresh_tokens_for_account.apply(args=[account.pk])
print(LinkedAccount.objects.with_scopes_disabled().get(pk=account.pk).status)
"""


@pytest.fixture
def faults_cleared(live_stack: LiveStack) -> Iterator[None]:
    """Faults a test injects are gone afterwards, whatever happened."""
    yield
    live_stack.sim.control("DELETE", "/faults")


def board(page: Page) -> Locator:
    """The health board's section of the fresh account."""
    page.goto("/accounts/health/")
    return page.locator("section[data-account-health]").filter(
        has=page.get_by_role("heading", name=LABEL, exact=True)
    )


def wait_level(page: Page, level: str, timeout: float = 30) -> Locator:
    """Reload the board until the account shows `level` (the page is not live)."""
    deadline = time.monotonic() + timeout
    while True:
        section = board(page)
        if section.get_attribute("data-level") == level or time.monotonic() > deadline:
            expect(section).to_have_attribute("data-level", level)
            return section
        page.wait_for_timeout(500)


def healthy(new_tab, stack: LiveStack, *roles: str) -> tuple[Linked, Locator]:  # type: ignore[no-untyped-def]
    """A freshly linked account, synced and with its live connection up: green."""
    linked = link_fresh(new_tab, stack, *roles)
    return linked, wait_level(linked.page, "green")


def test_a_healthy_account_is_green_with_its_facts(new_tab, live_stack: LiveStack) -> None:
    linked, section = healthy(new_tab, live_stack)
    page = linked.page
    summary = section.locator("[data-health-summary]")
    expect(summary).to_have_text("✓ Healthy")
    expect(summary.locator("[aria-hidden=true]")).to_have_text("✓")  # the word says it
    expect(section.locator("[data-health-problems]")).to_contain_text("No problem")
    expect(section.locator('[data-fact="connection"]')).to_contain_text("Online since")
    expect(section.locator('[data-fact="last-sync"]')).not_to_have_text("never")
    expect(section.locator('[data-fact="last-event"]')).not_to_have_text("none yet")
    expect(section.locator('[data-fact="calls"]')).to_have_text(
        re.compile(r"^\d+ made, 0 refused$")
    )
    made = int(section.locator('[data-fact="calls"]').inner_text().split()[0])
    assert made > 0  # the first sync's calls, counted where they went out (the Celery worker)
    expect(section.locator('[data-job="reconcile"]')).to_contain_text("Full sync ok")
    # Reached from the accounts page, where admins and owners find its link.
    page.goto("/accounts/cloud/")
    page.get_by_role("link", name="Account health").click()
    expect(page.get_by_role("heading", name="Account health")).to_be_visible()
    # Readable on a phone: nothing runs off the screen.
    phone = new_tab(
        viewport={"width": 375, "height": 740}, storage_state=page.context.storage_state()
    )
    board(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_dropped_socket_that_cannot_reconnect_shows_why(
    new_tab, live_stack: LiveStack, faults_cleared: None
) -> None:
    linked, _ = healthy(new_tab, live_stack)
    page = linked.page  # on the board, showing the account green
    wait_live(page)
    page.evaluate("window.__marker = 1")
    sim = live_stack.sim
    # Its socket dropped, and every reconnect of this account (only) closed at the handshake.
    fault = {"kind": "refuse_handshake", "error": "close", "apikey": linked.apikey}
    sim.control("POST", "/faults", fault)
    assert sim.control("POST", f"/accounts/{linked.apikey}/drop-sockets")["dropped"] >= 1

    # The open board turns amber by itself, without a reload.
    section = page.locator("section[data-account-health]").filter(
        has=page.get_by_role("heading", name=LABEL, exact=True)
    )
    expect(section).to_have_attribute("data-level", "amber", timeout=20_000)
    assert page.evaluate("window.__marker") == 1
    expect(section.locator("[data-health-summary]")).to_have_text("! Needs attention")
    problem = section.locator("[data-health-problems] li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text(
        re.compile(r"The live connection has been down since \d\d:\d\d: the worker retries")
    )
    expect(problem).to_contain_text("check that the server can reach eWeLink")
    expect(section.locator('[data-fact="connection"]')).to_contain_text("Offline since")


def test_a_rejected_refresh_token_is_broken_and_asks_for_a_relink(
    new_tab, live_stack: LiveStack
) -> None:
    linked, _ = healthy(new_tab, live_stack)
    sim = live_stack.sim
    sim.control("POST", f"/accounts/{linked.apikey}/expire-tokens", {"at": False, "rt": True})

    assert shell(live_stack, REFRESH_REJECTED.format(apikey=linked.apikey)) == "needs_relink"

    section = wait_level(linked.page, "red")
    expect(section.locator("[data-health-summary]")).to_have_text("✕ Broken")
    problem = section.locator("[data-health-problems] li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("Broken: The eWeLink sign-in was refused (")
    expect(problem).to_contain_text("link the account again (eWeLink accounts → Relink).")
    expect(section.locator('[data-job="refresh_tokens"]')).to_contain_text("Token refresh failed")
    expect(section.locator("[data-health-errors]")).to_contain_text("Token refresh:")


def test_a_failing_sync_shows_its_error_and_what_to_do(
    new_tab, live_stack: LiveStack, faults_cleared: None
) -> None:
    linked, _ = healthy(new_tab, live_stack)
    page = linked.page
    # The cloud fails the sync's device list: the reconcile job fails (and keeps failing).
    fault = {"kind": "http_status", "path": "/v2/device/thing", "status": 500}
    live_stack.sim.control("POST", "/faults", fault)
    page.goto("/accounts/cloud/")
    page.locator("tr[data-account]").filter(has_text=LABEL).get_by_role(
        "button", name="Resync"
    ).click()

    section = wait_level(page, "amber")
    problems = section.locator("[data-health-problems] li")
    problem = problems.filter(has_text="The last sync failed")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text(re.compile(r"The last sync failed at \d\d:\d\d: "))
    expect(problem).to_contain_text("it is retried on its own, or press Resync")
    # As the job's retries go on, the cloud's refusals may earn a problem of their own (a slow
    # machine draws the page later, after more of them); nothing else may be wrong.
    others = problems.filter(has_not_text=re.compile("The last sync failed|The cloud refused"))
    expect(others).to_have_count(0)
    expect(section.locator('[data-job="reconcile"]')).to_contain_text("Full sync failed")
    expect(section.locator("[data-health-errors]")).to_contain_text("Full sync:")
    expect(section.locator('[data-fact="calls"]')).not_to_contain_text(" 0 refused")


def test_a_member_is_refused_in_words_and_offered_no_link(new_tab, live_stack: LiveStack) -> None:
    family = make_family(live_stack, "member")
    member = signed_in(new_tab, family, "member")
    member.goto("/accounts/cloud/")
    expect(member.get_by_role("link", name="Account health")).to_have_count(0)
    response = member.goto("/accounts/health/")
    assert response is not None
    assert response.status == 403
    expect(member.get_by_text("This needs the admin role or higher.")).to_be_visible()
