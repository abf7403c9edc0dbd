"""Helpers of the thing-page tests: people of each role, a device of their own, forged posts."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from playwright.sync_api import Browser, Page

from tests.e2e.conftest import LiveStack, sign_in, wait_live

ANCHOR = "Garage light"  # a demo device: new test devices join its owner's home and room
ROLE_PASSWORD = "thing-page-pass-1"


def role_email(role: str) -> str:
    return f"{role}-things@example.com"


def make_role_cookies(browser: Browser, stack: LiveStack, role: str) -> dict[str, Any]:
    """A person of `role` in the demo household, signed in once; their browser state."""
    email = role_email(role)
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "from django_scopes import scopes_disabled\n"
        "from accounts.models import Membership\n"
        "with scopes_disabled():\n"
        f"    owner = Membership.objects.filter(user__email={stack.email!r}).first()\n"
        "    User = get_user_model()\n"
        f"    user = User.objects.filter(username={email!r}).first()\n"
        "    if user is None:\n"
        f"        user = User.objects.create_user({email!r}, {email!r}, {ROLE_PASSWORD!r})\n"
        "    Membership.objects.update_or_create(\n"
        f"        user=user, household=owner.household, defaults={{'role': {role!r}}})\n",
    )
    context = browser.new_context(base_url=stack.url)
    try:
        sign_in(context.new_page(), email, ROLE_PASSWORD)
        return dict(context.storage_state())
    finally:
        context.close()


def set_memberships(stack: LiveStack, roles: list[str], *, present: bool) -> None:
    """Give the people of `roles` their role in the demo household again, or take it away."""
    emails = [role_email(role) for role in roles]
    action = (
        "    for user in User.objects.filter(username__in=emails):\n"
        "        Membership.objects.update_or_create(\n"
        "            user=user, household=owner.household,\n"
        "            defaults={'role': user.username.split('-')[0]})\n"
        if present
        else "    Membership.objects.filter(user__username__in=emails).delete()\n"
    )
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "from django_scopes import scopes_disabled\n"
        "from accounts.models import Membership\n"
        "User = get_user_model()\n"
        f"emails = {emails!r}\n"
        "with scopes_disabled():\n"
        f"    owner = Membership.objects.filter(user__email={stack.email!r}).first()\n" + action,
    )


def sync_owner(stack: LiveStack, apikey: str) -> None:
    """Sync the account `apikey` (what Resync does), in a separate process."""
    stack.manage(
        "shell",
        "-c",
        "from django_scopes import scopes_disabled\n"
        "from accounts.models import LinkedAccount\n"
        "from devices.sync import sync_account\n"
        "with scopes_disabled():\n"
        f"    account = LinkedAccount.objects.get(apikey={apikey!r})\n"
        "sync_account(account.pk)\n",
    )


def thing_pk(stack: LiveStack, deviceid: str) -> int:
    out = stack.manage(
        "shell",
        "-c",
        "from django_scopes import scopes_disabled\n"
        "from devices.models import Thing\n"
        "with scopes_disabled():\n"
        f"    print(Thing.objects.get(cloud_id={deviceid!r}, item_type=1).pk)\n",
    )
    return int(out.strip().splitlines()[-1])


def synced_pk(stack: LiveStack, apikey: str, deviceid: str) -> int:
    """Sync the account `apikey`, then the pk of its device `deviceid`: one process (each
    `manage.py` start costs a second or more)."""
    out = stack.manage(
        "shell",
        "-c",
        "from django_scopes import scopes_disabled\n"
        "from accounts.models import LinkedAccount\n"
        "from devices.models import Thing\n"
        "from devices.sync import sync_account\n"
        "with scopes_disabled():\n"
        f"    account = LinkedAccount.objects.get(apikey={apikey!r})\n"
        "sync_account(account.pk)\n"
        "with scopes_disabled():\n"
        f"    print(Thing.objects.get(cloud_id={deviceid!r}, item_type=1).pk)\n",
    )
    return int(out.strip().splitlines()[-1])


@contextlib.contextmanager
def own_device(
    stack: LiveStack, name: str, uiid: int = 1, **extra: Any
) -> Iterator[tuple[str, int]]:
    """A new device of the anchor's owner in the anchor's room, synced: (deviceid, thing pk).
    Deleted from the cloud (and synced away) afterwards, whatever the test did to it."""
    apikey = stack.apikey_of(ANCHOR)
    roomid = stack.sim.control("GET", f"/devices/{stack.device_id(ANCHOR)}")["roomid"]
    body = {"owner": apikey, "uiid": uiid, "name": name, "roomid": roomid, **extra}
    deviceid = str(stack.sim.control("POST", "/devices", body)["deviceid"])
    try:
        yield deviceid, synced_pk(stack, apikey, deviceid)
    finally:
        delete_device(stack, apikey, deviceid)


def delete_device(stack: LiveStack, apikey: str, deviceid: str) -> None:
    """Delete the device from the account `apikey` in the cloud (cloudsim returns it to the
    factory, owner None), then sync the account so that its card goes too."""
    script = (
        "from asgiref.sync import async_to_sync\n"
        "from django_scopes import scopes_disabled\n"
        "import ewelink\n"
        "from accounts.cloud import open_client\n"
        "from accounts.models import LinkedAccount\n"
        "from devices.sync import sync_account\n"
        "with scopes_disabled():\n"
        f"    account = LinkedAccount.objects.get(apikey={apikey!r})\n"
        "async def run():\n"
        "    async with open_client(account) as client:\n"
        "        try:\n"
        f"            await client.delete_device({deviceid!r})\n"
        "        except ewelink.EWeLinkError:\n"
        "            pass\n"
        "async_to_sync(run)()\n"
        "sync_account(account.pk)\n"
    )
    stack.manage("shell", "-c", script)


def open_thing(new_tab: Callable[..., Page], cookies: dict[str, Any], pk: int) -> Page:
    """The thing's page, live."""
    page = new_tab(storage_state=cookies)
    page.goto(f"/things/{pk}/")
    wait_live(page)
    page.evaluate("window.notReloaded = true")
    return page


def forged_post(page: Page, path: str, data: dict[str, str]) -> str:
    """POST `data` to `path` from the page, with its CSRF token, as a crafted request would;
    the text of the page it ends on."""
    token = json.loads(page.locator("body").get_attribute("hx-headers") or "{}")["X-CSRFToken"]
    return str(
        page.evaluate(
            """async ([path, data, token]) => {
                const body = new URLSearchParams(data);
                const headers = {"X-CSRFToken": token};
                const r = await fetch(path, {method: "POST", body, headers});
                return `${r.status} ${await r.text()}`;
            }""",
            [path, data, token],
        )
    )
