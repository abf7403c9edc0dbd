"""The message centre in a browser: the demo's alarm, a new message arriving live on two open
pages, filters, and marking read as a member while a guest is refused."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveStack
from tests.e2e.things import ANCHOR, forged_post


def sync_messages(stack: LiveStack) -> None:
    """Run the message sync of every live linked account (what the periodic job does; other
    tests leave unlinked accounts behind, whose tokens the cloud no longer knows)."""
    stack.manage(
        "shell",
        "-c",
        "from django_scopes import scopes_disabled\n"
        "from accounts.models import LinkedAccount, LinkStatus\n"
        "from devices.messages import sync_account_messages\n"
        "with scopes_disabled():\n"
        "    live = LinkedAccount.objects.filter(status=LinkStatus.ACTIVE)\n"
        "    ids = list(live.values_list('pk', flat=True))\n"
        "for pk in ids:\n"
        "    sync_account_messages(pk)\n",
    )


def open_messages(page: Page, query: str = "") -> Page:
    page.goto(f"/messages/{query}")
    page.locator('[data-live-status][data-state="live"]').wait_for()
    return page


def test_messages_arrive_live_filter_and_are_marked_read_by_members_only(
    live_stack: LiveStack,
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
) -> None:
    sync_messages(live_stack)
    everything = open_messages(new_tab(storage_state=owner_cookies))
    alarm = everything.locator('[data-kind="alarmNotify_v2"]').filter(
        has_text="Kitchen smoke alarm"
    )
    expect(alarm.first).to_contain_text("Smoke detected")
    actions = open_messages(new_tab(storage_state=owner_cookies), "?type=opsNotify_v2")
    expect(actions.locator('[data-kind="alarmNotify_v2"]')).to_have_count(0)  # filtered out
    everything.evaluate("window.__notReloaded = true")

    # The cloud gets a device action notice; the sync stores it; both pages show it.
    marker = f"test-{uuid.uuid4().hex[:8]}"
    body = {"deviceid": live_stack.device_id(ANCHOR), "deviceName": "cloud's name", "op": marker}
    live_stack.sim.control(
        "POST",
        f"/accounts/{live_stack.apikey_of(ANCHOR)}/messages",
        {"msgType": "opsNotify_v2", "message": body},
    )
    sync_messages(live_stack)
    for page in (everything, actions):
        line = page.locator("[data-message]").filter(has_text=marker)
        expect(line).to_contain_text("Device action")
        expect(line).to_contain_text(ANCHOR)  # our name for the device, not the cloud's
        expect(line.locator(".badge")).to_have_text("new")
    assert everything.evaluate("window.__notReloaded") is True
    pk = everything.locator("[data-message]").filter(has_text=marker).get_attribute("data-message")

    # A guest reads but may not mark: no button, and a forged post is refused.
    guest = open_messages(new_tab(storage_state=role_cookies("guest")))
    expect(guest.locator("[data-message]").filter(has_text=marker)).to_be_visible()
    expect(guest.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(guest.get_by_role("button", name="Mark all read")).to_have_count(0)
    assert forged_post(guest, f"/messages/{pk}/read/", {}).startswith("403")
    unread = open_messages(new_tab(storage_state=owner_cookies), "?read=unread")
    expect(unread.locator("[data-message]").filter(has_text=marker)).to_be_visible()

    # A member marks it read: gone from the unread list, shown among the read ones.
    member = open_messages(new_tab(storage_state=role_cookies("member")), "?read=unread")
    line = member.locator("[data-message]").filter(has_text=marker)
    line.get_by_role("button", name="Mark read").click()
    expect(member).to_have_url(f"{live_stack.url}/messages/?read=unread")
    expect(member.locator("[data-message]").filter(has_text=marker)).to_have_count(0)
    # The owner's unread list, open all along, drops it too: read marks are the household's.
    expect(unread.locator("[data-message]").filter(has_text=marker)).to_have_count(0)
    member.goto("/messages/?read=read")
    read_line = member.locator("[data-message]").filter(has_text=marker)
    expect(read_line).to_be_visible()
    expect(read_line.locator(".badge")).to_have_count(0)
