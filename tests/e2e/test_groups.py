"""Groups from the browser: an admin builds a group (name, main device, members), renames it,
changes its members and deletes it — each step checked in cloudsim and on a second open
dashboard that follows without a reload — a member of another kind is refused in words, and a
member of the household sees no forms and is refused a forged post."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.test_cards_and_phones import card
from tests.e2e.things import ANCHOR, forged_post, own_device

pytestmark = pytest.mark.browser

GROUP, RENAMED = "E2E porch group", "E2E yard group"
LAMPS = ("E2E lamp A", "E2E lamp B", "E2E lamp C")
OTHER_KIND = "Office power strip"  # a demo device of the same account, UIID 4 (lamps: 1)


def sim_groups(stack: LiveStack) -> dict[str, dict[str, Any]]:
    """The anchor account's groups in cloudsim, by name."""
    answer = stack.sim.control("GET", f"/groups?owner={stack.apikey_of(ANCHOR)}")
    return {group["name"]: group for group in answer}


def group_admin(page: Page, name: str) -> Locator:
    """A group's part of the groups page."""
    heading = page.get_by_role("heading", name=re.compile(rf"^{re.escape(name)}\b"))
    return page.locator("section.group-admin").filter(has=heading)


def checkbox(scope: Locator, name: str) -> Locator:
    return scope.get_by_role("checkbox", name=re.compile(rf"^{re.escape(name)}\b"))


def set_switch(stack: LiveStack, deviceid: str, value: str) -> None:
    """What a device reports (a wall switch), as the cloud sends it to the worker."""
    stack.sim.control("POST", f"/devices/{deviceid}/params", {"params": {"switch": value}})


def open_dashboard(new_tab: Callable[..., Page], cookies: dict[str, Any]) -> Page:
    page = new_tab(storage_state=cookies)
    page.goto("/")
    wait_live(page)
    page.evaluate("window.notReloaded = true")
    return page


@pytest.fixture
def lamps(live_stack: LiveStack) -> Iterator[dict[str, str]]:
    """Three new lamps of the anchor's owner (name → deviceid), deleted afterwards; any group
    left behind by a failed test is deleted first, so the demo is left as found."""
    with ExitStack() as stack:
        ids = {name: stack.enter_context(own_device(live_stack, name))[0] for name in LAMPS}
        yield ids
        for name in (GROUP, RENAMED):
            if name in sim_groups(live_stack):
                _delete_in_cloud(live_stack, sim_groups(live_stack)[name]["id"])


def _delete_in_cloud(stack: LiveStack, group_id: str) -> None:
    apikey = stack.apikey_of(ANCHOR)
    stack.manage(
        "shell",
        "-c",
        "from asgiref.sync import async_to_sync\n"
        "from django_scopes import scopes_disabled\n"
        "from accounts.cloud import open_client\n"
        "from accounts.models import LinkedAccount\n"
        "from devices.sync import sync_account\n"
        "with scopes_disabled():\n"
        f"    account = LinkedAccount.objects.get(apikey={apikey!r})\n"
        "async def run():\n"
        "    async with open_client(account) as client:\n"
        f"        await client.delete_group({group_id!r})\n"
        "async_to_sync(run)()\n"
        "sync_account(account.pk)\n",
    )


def test_an_admin_builds_renames_regroups_and_deletes_a_group_and_the_dashboard_follows(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
    lamps: dict[str, str],
) -> None:
    a, b, c = (lamps[name] for name in LAMPS)
    other = open_dashboard(new_tab, owner_cookies)
    watcher = new_tab(storage_state=owner_cookies)  # a second groups page, live
    watcher.goto("/groups/")
    wait_live(watcher)
    watcher.evaluate("window.notReloaded = true")
    page = new_tab(storage_state=role_cookies("admin"))
    page.goto("/groups/")

    create = page.locator("form[data-group-create]").filter(
        has=page.get_by_role("option", name=LAMPS[0])
    )
    create.get_by_label("Name of the new group").fill(GROUP)
    create.get_by_label("Main device").select_option(label=LAMPS[0])
    # Only devices of the main device's kind are offered, the main device itself not again.
    expect(checkbox(create, OTHER_KIND)).to_be_hidden()
    expect(checkbox(create, LAMPS[0])).to_be_hidden()
    checkbox(create, LAMPS[1]).check()
    create.get_by_role("button", name="Create group").click()
    expect(page.locator(".messages")).to_contain_text(f"Created the group {GROUP}")
    sim = sim_groups(live_stack)[GROUP]
    assert (sim["mainDeviceId"], sim["deviceids"]) == (a, [a, b])
    expect(card(other, GROUP)).to_contain_text("Members: E2E lamp A, E2E lamp B")
    expect(group_admin(watcher, GROUP).locator("[data-group-members] li")).to_have_count(2)
    expect(card(other, GROUP).get_by_role("button", name="All on/off")).to_have_count(1)
    # Its state follows its members, live (the worker took the new group up).
    for deviceid in (a, b):
        set_switch(live_stack, deviceid, "off")
    expect(card(other, GROUP).locator("[data-card-body]")).to_have_text("Off")
    set_switch(live_stack, b, "on")
    expect(card(other, GROUP).locator("[data-card-body]")).to_have_text("On")

    section = group_admin(page, GROUP)
    section.get_by_label(f"Name of the group {GROUP}").fill(RENAMED)
    section.get_by_role("button", name="Rename group").click()
    expect(page.locator(".messages")).to_contain_text(f"Renamed the group to {RENAMED}")
    assert set(sim_groups(live_stack)) >= {RENAMED}
    assert GROUP not in sim_groups(live_stack)
    expect(card(other, RENAMED)).to_have_count(1)
    expect(card(other, GROUP)).to_have_count(0)

    section = group_admin(page, RENAMED)
    checkbox(section, LAMPS[1]).uncheck()
    checkbox(section, LAMPS[2]).check()
    section.get_by_role("button", name=f"Save members of {RENAMED}").click()
    expect(page.locator(".messages")).to_contain_text(f"{RENAMED} now has 2 devices")
    assert sim_groups(live_stack)[RENAMED]["deviceids"] == [a, c]
    expect(card(other, RENAMED)).to_contain_text("Members: E2E lamp A, E2E lamp C")
    expect(group_admin(watcher, RENAMED).locator("[data-group-members] li")).to_have_text(
        [re.compile(r"^E2E lamp A\b.*main device"), re.compile(r"^E2E lamp C\b")]
    )
    expect(group_admin(page, RENAMED).locator("[data-group-members] li")).to_have_text(
        [re.compile(r"^E2E lamp A\b.*main device"), re.compile(r"^E2E lamp C\b")]
    )
    remove = f"Remove {LAMPS[2]} from {RENAMED}"
    group_admin(page, RENAMED).get_by_role("button", name=remove).click()
    expect(page.locator(".messages")).to_contain_text(f"{RENAMED} now has 1 device.")
    assert sim_groups(live_stack)[RENAMED]["deviceids"] == [a]
    expect(card(other, RENAMED)).to_contain_text("Members: E2E lamp A")
    expect(card(other, RENAMED)).not_to_contain_text(LAMPS[2])

    # A device of another kind, posted by hand past the form: refused in words, not sent.
    group_pk = group_admin(page, RENAMED).get_attribute("data-group")
    strip = page.locator("[data-member-choice]").filter(has_text=OTHER_KIND)
    strip_pk = strip.locator("input").get_attribute("value")
    answer = forged_post(page, f"/groups/{group_pk}/members/", {"member": str(strip_pk)})
    assert f"{OTHER_KIND} cannot join a group around {LAMPS[0]}" in answer
    assert sim_groups(live_stack)[RENAMED]["deviceids"] == [a]

    page.goto("/groups/")
    group_admin(page, RENAMED).get_by_role("link", name=f"Delete the group {RENAMED}").click()
    expect(page.locator(".confirm-losses")).to_contain_text("Its devices stay")
    page.get_by_role("button", name="Delete the group").click()
    expect(page.locator(".messages")).to_contain_text(f"Deleted the group {RENAMED}")
    assert RENAMED not in sim_groups(live_stack)
    expect(card(other, RENAMED)).to_have_count(0)
    expect(card(other, LAMPS[0])).to_have_count(1)  # its devices stay
    expect(page.locator("[data-layout-action='group_delete']").first).to_contain_text(RENAMED)
    expect(group_admin(watcher, RENAMED)).to_have_count(0)
    done = watcher.locator("[data-layout-action='group_delete']").first
    expect(done).to_contain_text(RENAMED)
    for seen in (other, watcher):
        assert seen.evaluate("window.notReloaded === true")


def test_a_member_sees_no_forms_and_a_forged_change_is_refused(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    page = new_tab(storage_state=role_cookies("member"))
    page.goto("/groups/")
    kitchen = group_admin(page, "Kitchen lights")  # the demo's group
    expect(kitchen.locator("[data-group-members] li")).to_have_text(
        [re.compile(r"^Kitchen light\b"), "Pantry light"]
    )
    expect(page.get_by_role("button", name="Rename group")).to_have_count(0)
    expect(page.get_by_role("button", name="Create group")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Delete the group"))).to_have_count(0)
    group_pk = kitchen.get_attribute("data-group")
    answer = forged_post(page, f"/groups/{group_pk}/rename/", {"name": "Hijacked"})
    assert answer.startswith("403 ")
    assert "needs the admin role" in answer
    account_pk = page.locator("[data-account-groups]").first.get_attribute("data-account-groups")
    answer = forged_post(page, f"/groups/account/{account_pk}/add/", {"name": "Mine"})
    assert answer.startswith("403 ")
    assert "needs the admin role" in answer
    answer = forged_post(page, f"/groups/{group_pk}/delete/", {"confirm": "yes"})
    assert answer.startswith("403 ")
    names = {g["name"] for g in live_stack.sim.control("GET", "/groups")}
    assert names == {"Kitchen lights"}
