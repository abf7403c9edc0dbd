"""The timers editor of a thing page: timers in the household's zone sent whole in UTC, run by
cloudsim's clock, followed live on a second page; by role, and never over someone's change."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack
from tests.e2e.things import forged_post, open_thing, own_device

pytestmark = pytest.mark.browser

TIMER = {"enabled": 1, "mId": "seeded-1", "type": "repeat", "at": "0 6 * * 1",
         "do": {"switch": "on"}, "coolkit_timer_type": "repeat"}  # fmt: skip


def sim_device(stack: LiveStack, deviceid: str) -> dict[str, Any]:
    return stack.sim.control("GET", f"/devices/{deviceid}")


def sim_timers(stack: LiveStack, deviceid: str) -> Any:
    return sim_device(stack, deviceid)["params"].get("timers")


def panel(page: Page) -> Locator:
    return page.locator('[data-fragment="thing-timers"]')


def wait_for(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def household_zone(stack: LiveStack, zone: str) -> Iterator[None]:
    """The demo household in `zone` for the test; its own zone again afterwards."""
    script = (
        "from django_scopes import scopes_disabled\n"
        "from accounts.models import Membership\n"
        "with scopes_disabled():\n"
        f"    h = Membership.objects.filter(user__email={stack.email!r}).first().household\n"
        "    print(h.time_zone)\n"
        "    h.time_zone = {zone!r}\n"
        "    h.save(update_fields=['time_zone'])\n"
    )
    before = stack.manage("shell", "-c", script.format(zone=zone)).strip().splitlines()[-1]
    try:
        yield
    finally:
        stack.manage("shell", "-c", script.format(zone=before))


def test_a_once_timer_in_the_households_zone_runs_on_the_clock_and_pages_follow(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    owner_cookies: dict[str, Any],
    live_stack: LiveStack,
) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    with (
        household_zone(live_stack, "Asia/Tokyo"),
        own_device(live_stack, "Shed timer") as (
            deviceid,
            pk,
        ),
    ):
        page = open_thing(new_tab, role_cookies("member"), pk)
        other = open_thing(new_tab, owner_cookies, pk)
        sim_now = datetime.fromisoformat(live_stack.sim.clock()["now"].replace("Z", "+00:00"))
        start = max(sim_now, datetime.now(UTC)) + timedelta(hours=2)
        local = start.astimezone(tokyo).replace(second=0, microsecond=0, tzinfo=None)
        adding = panel(page).locator("form[data-timer-add]")
        adding.get_by_label("Kind").select_option("once")
        once = adding.get_by_role("group", name="Once")
        once.get_by_label("Date").fill(f"{local:%Y-%m-%d}")
        once.get_by_label("Time").fill(f"{local:%H:%M}")
        once.get_by_label("Action").select_option("on")
        adding.get_by_role("button", name="Add timer").click()
        expect(page.locator(".messages")).to_contain_text("Timer sent to the device")

        array = sim_timers(live_stack, deviceid)
        assert len(array) == 1
        due = local.replace(tzinfo=tokyo).astimezone(UTC)
        assert array[0]["at"] == f"{due:%Y-%m-%dT%H:%M:00.000Z}"
        assert array[0]["do"] == {"switch": "on"}
        listed = panel(other).locator("[data-timer]")
        expect(listed).to_have_count(1)
        expect(listed).to_contain_text(f"Once on {local.day} {local:%b %Y} at {local:%H:%M}")
        expect(listed.locator("[data-timer-state]")).to_have_text("enabled")

        live_stack.sim.advance_clock((due - sim_now).total_seconds() + 120)
        wait_for(lambda: sim_device(live_stack, deviceid)["params"]["switch"] == "on", "switch")
        assert sim_timers(live_stack, deviceid)[0]["enabled"] == 0
        power = other.locator("article[data-thing]").get_by_role("button", name="Power")
        expect(power).to_have_attribute("aria-pressed", "true")
        expect(listed.locator("[data-timer-state]")).to_have_text("disabled")
        expect(panel(page).locator("[data-timer-state]")).to_have_text("disabled")
        assert other.evaluate("window.notReloaded === true")


def test_a_repeat_timer_shifts_its_weekdays_to_utc_then_is_disabled_enabled_and_deleted(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    with (
        household_zone(live_stack, "Asia/Tokyo"),
        own_device(live_stack, "Shed pump") as (
            deviceid,
            pk,
        ),
    ):
        member = role_cookies("member")
        page, other = (open_thing(new_tab, member, pk) for _ in range(2))
        adding = panel(page).locator("form[data-timer-add]")
        adding.get_by_label("Kind").select_option("repeat")
        repeat = adding.get_by_role("group", name="Repeat")
        repeat.get_by_label("Mon").check()
        repeat.get_by_label("Wed").check()
        repeat.get_by_label("Time").fill("08:00")
        repeat.get_by_label("Action").select_option("off")
        adding.get_by_role("button", name="Add timer").click()
        expect(page.locator(".messages")).to_contain_text("Timer sent to the device")
        # Monday and Wednesday 08:00 in Tokyo (UTC+9) are Sunday and Tuesday 23:00 UTC.
        [element] = sim_timers(live_stack, deviceid)
        assert element["at"] == "0 23 * * 0,2"
        assert element["do"] == {"switch": "off"}
        listed = panel(other).locator("[data-timer]")
        expect(listed).to_contain_text("Every Mon, Wed at 08:00 → off")

        panel(page).get_by_role("button", name="Disable").click()
        expect(page.locator(".messages")).to_contain_text("Timer disabled")
        assert sim_timers(live_stack, deviceid)[0]["enabled"] == 0
        expect(listed.locator("[data-timer-state]")).to_have_text("disabled")
        panel(page).get_by_role("button", name="Enable").click()
        expect(page.locator(".messages")).to_contain_text("Timer enabled")
        assert sim_timers(live_stack, deviceid) == [element]
        expect(listed.locator("[data-timer-state]")).to_have_text("enabled")

        panel(page).get_by_role("button", name="Delete").click()
        expect(page.locator(".confirm-losses")).to_contain_text("Every Mon, Wed at 08:00 → off")
        assert sim_timers(live_stack, deviceid) == [element]  # asked, not yet deleted
        page.get_by_role("button", name="Delete timer").click()
        expect(page.locator(".messages")).to_contain_text("Timer deleted")
        assert sim_timers(live_stack, deviceid) == []
        expect(panel(other).locator("[data-no-timers]")).to_be_visible()
        assert other.evaluate("window.notReloaded === true")


def test_a_guest_sees_the_timers_but_cannot_change_them(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    with own_device(live_stack, "Shed guest lamp", params={"timers": [TIMER]}) as (deviceid, pk):
        assert sim_timers(live_stack, deviceid) == [TIMER]
        page = open_thing(new_tab, role_cookies("guest"), pk)
        expect(panel(page).locator("[data-timer]")).to_have_count(1)
        for button in ("Add timer", "Disable", "Delete", "Save timer"):
            expect(panel(page).get_by_role("button", name=button)).to_have_count(0)
        fingerprint = "any"  # the role is checked first: nothing else matters
        answer = forged_post(
            page,
            f"/things/{pk}/timers/add/",
            {"kind": "countdown", "countdown_minutes": "5", "countdown_action": "on",
             "fingerprint": fingerprint},
        )  # fmt: skip
        assert "needs the member role" in answer
        answer = forged_post(
            page, f"/things/{pk}/timers/delete/", {"mid": "seeded-1", "fingerprint": fingerprint}
        )
        assert "needs the member role" in answer
        assert sim_timers(live_stack, deviceid) == [TIMER]


def test_a_save_over_someone_elses_change_is_refused_not_lost(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    with own_device(live_stack, "Shed stale") as (deviceid, pk):
        page = open_thing(new_tab, role_cookies("member"), pk)
        other = open_thing(new_tab, role_cookies("guest"), pk)
        adding = panel(page).locator("form[data-timer-add]")
        adding.get_by_label("Kind").select_option("countdown")
        minutes = adding.get_by_role("group", name="Countdown").get_by_label("In (minutes)")
        minutes.fill("15")  # typing: the live redraw waits while the field has focus
        theirs = {"params": {"timers": [TIMER]}}
        live_stack.sim.control("POST", f"/devices/{deviceid}/params", theirs)
        # The device's report has reached the household's pages when the other one shows it;
        # this page holds its redraw back while the field has focus.
        expect(panel(other).locator("[data-timer]")).to_have_count(1)
        minutes.press("Enter")
        expect(page.locator(".messages")).to_contain_text("The timers changed since you opened")
        assert sim_timers(live_stack, deviceid) == [TIMER]
        expect(panel(page).locator("[data-timer]")).to_have_count(1)
