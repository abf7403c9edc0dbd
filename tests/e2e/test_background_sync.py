"""Resync in a real browser: the request answers at once, "Syncing…" shows on every open page
of the household, and the dashboard fills in as the sync (on the Celery worker) lands, without
a reload. A household and cloud account of its own: the demo household stays as it was."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.test_household_flows import make_family, shell, signed_in

pytestmark = pytest.mark.browser

LINK = """
from accounts import linking
from accounts.models import Membership
from devices.sync import sync_account
from django_scopes import scopes_disabled
with scopes_disabled():
    owner = Membership.objects.get(user__email={owner!r})
account = linking.link_with_password(owner, identifier={email!r}, password={password!r},
                                     country_code="+44", label={label!r})
sync_account(account.pk)
print(account.pk)
"""
# Shows whether the account's "Syncing …" line was ever visible, however briefly.
WATCH_SYNCING = """id => {
  const el = document.querySelector(`[data-account-syncing="${id}"]`);
  window.__syncingShown = !el.hidden;
  new MutationObserver(() => { if (!el.hidden) window.__syncingShown = true; })
    .observe(el, { attributes: true, attributeFilter: ["hidden"] });
}"""


def card(page: Page, name: str):  # type: ignore[no-untyped-def]
    title = page.get_by_role("heading", name=name, exact=True)
    return page.locator("article[data-thing]").filter(has=title)


def test_resync_fills_the_open_dashboard_in_while_it_shows_syncing(
    new_tab: Callable[..., Page], live_stack: LiveStack
) -> None:
    sim, tag = live_stack.sim, uuid.uuid4().hex[:6]
    family = make_family(live_stack, "member", "guest")
    email, password, label = f"barn-{tag}@example.com", f"barn-pass-{tag}", f"Barn {tag}"
    cloud = sim.control(
        "POST", "/accounts", {"region": "eu", "email": email, "password": password,
                              "countryCode": "+44"},
    )  # fmt: skip
    home = sim.control(
        "POST", f"/accounts/{cloud['apikey']}/homes",
        {"name": "Barn", "rooms": ["Stalls", "Loft"], "current": True},
    )  # fmt: skip
    place = {"owner": cloud["apikey"], "uiid": 1, "familyid": home["familyid"]}
    sim.control(
        "POST", "/devices", {**place, "name": "Stall lamp", "roomid": home["rooms"][0]["id"]}
    )
    account_id = shell(
        live_stack,
        LINK.format(owner=family.email("owner"), email=email, password=password, label=label),
    )

    # A member has the dashboard open, live, and the accounts page in another tab.
    dashboard = signed_in(new_tab, family, "member")
    wait_live(dashboard)
    expect(card(dashboard, "Stall lamp")).to_be_visible()
    dashboard.evaluate("window.__marker = 1")
    dashboard.evaluate(WATCH_SYNCING, account_id)
    accounts = new_tab(storage_state=dashboard.context.storage_state())
    accounts.goto("/accounts/cloud/")
    row = accounts.locator("tr[data-account]").filter(has_text=label)
    syncing = row.locator(f'[data-account-syncing="{account_id}"]')
    expect(syncing).to_have_count(1)
    expect(syncing).to_be_hidden()

    # A new device at the cloud; the sync is slowed a little so "Syncing…" can be seen.
    sim.control("POST", "/devices", {**place, "name": f"Loft lamp {tag}",
                                      "roomid": home["rooms"][1]["id"]})  # fmt: skip
    sim.control(
        "POST", "/faults", {"kind": "latency", "path": "/v2/device/thing", "ms": 2500, "count": 1}
    )
    expect(card(dashboard, f"Loft lamp {tag}")).to_have_count(0)
    row.get_by_role("button", name="Resync").click()

    expect(
        accounts.get_by_text(f"Syncing {label}… the dashboard fills in as it loads.")
    ).to_be_visible()
    expect(syncing).to_be_visible()  # drawn so: the sync is still running
    expect(syncing).to_have_text("Syncing…")
    counts = row.locator("td").nth(3)  # homes · things
    expect(counts).to_have_text(re.compile(r"^\d+ · 1$"))  # drawn while the sync runs
    accounts.evaluate("window.__marker = 1")
    # The dashboard: the new card arrives on its own, the page was not reloaded.
    expect(card(dashboard, f"Loft lamp {tag}")).to_be_visible(timeout=20_000)
    assert dashboard.evaluate("window.__marker") == 1
    assert dashboard.evaluate("window.__syncingShown") is True
    dashboard_syncing = dashboard.locator(f'[data-account-syncing="{account_id}"]')
    expect(dashboard_syncing).to_have_text(f"Syncing {label}…")
    expect(dashboard_syncing).to_be_hidden()
    expect(syncing).to_be_hidden(timeout=10_000)  # the accounts page heard the end too
    expect(counts).to_have_text(re.compile(r"^\d+ · 2$"))  # drawn anew, without a reload
    assert accounts.evaluate("window.__marker") == 1

    # A guest sees the account but is offered no Resync.
    guest = signed_in(new_tab, family, "guest")
    guest.goto("/accounts/cloud/")
    guest_row = guest.locator("tr[data-account]").filter(has_text=label)
    expect(guest_row).to_be_visible()
    expect(guest_row.get_by_role("button", name="Resync")).to_have_count(0)
