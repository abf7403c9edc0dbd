"""In a real browser: times in words in the household's zone, readings never reported left out.

The demo household's zone is changed by one test and put back whatever happens, so the
other e2e tests see the demo household as it was.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.test_household_flows import make_family, shell, signed_in

pytestmark = pytest.mark.browser

KATHMANDU = "Asia/Kathmandu"  # +05:45: no other zone shares its minutes
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
DASH = "\u2013"


def card(page: Page, name: str) -> Locator:
    title = page.get_by_role("heading", name=name, exact=True)
    return page.locator("article[data-thing]").filter(has=title)


def set_params(stack: LiveStack, name: str, params: dict[str, Any]) -> None:
    stack.sim.control("POST", f"/devices/{stack.device_id(name)}/params", {"params": params})


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=hours)


def millis(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def cloud_iso(moment: datetime) -> str:
    """As the cloud writes it: "2026-12-02T02:22:27.000Z"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def in_zone(moment: datetime, zone: str) -> str:
    """What a person in `zone` reads for a moment a few hours ago."""
    local, today = moment.astimezone(ZoneInfo(zone)), datetime.now(ZoneInfo(zone))
    return f"{'today' if local.date() == today.date() else 'yesterday'} {local:%H:%M}"


def set_zone(stack: LiveStack, zone: str) -> None:
    shell(
        stack,
        "from accounts.models import Household, Membership\n"
        f"m = Membership.objects.with_scopes_disabled().get(user__email={stack.email!r})\n"
        f"Household.objects.filter(pk=m.household_id).update(time_zone={zone!r})",
    )


@pytest.fixture
def demo_zone_restored(live_stack: LiveStack, owner_page: Page) -> Iterator[None]:
    """UTC again afterwards, in the database and in the realtime worker, which reads zones
    on its next poll: until then a live body would still be drawn in the test's zone (a run
    in another order failed on that), so wait until a new event is drawn in UTC."""
    yield
    set_zone(live_stack, "UTC")
    page = owner_page
    page.goto("/")
    wait_live(page)
    deadline = time.monotonic() + 15
    for second in itertools.count():
        later = hours_ago(1.25) + timedelta(seconds=second)
        set_params(live_stack, "Front door sensor", {"lock": 0, "trigTime": millis(later)})
        expect(last_event(page)).to_have_attribute(
            "datetime", re.compile(rf":{second % 60:02d}[+Z-]")
        )
        if last_event(page).inner_text() == in_zone(later, "UTC"):
            return
        assert time.monotonic() < deadline, "the worker never took UTC back"


def last_event(page: Page) -> Locator:
    return card(page, "Front door sensor").locator('time[data-state-key="triggered_at"]')


def test_sensor_and_bridge_times_are_words_and_unreported_readings_are_left_out(
    owner_page: Page, live_stack: LiveStack
) -> None:
    page = owner_page
    triggered, pressed = hours_ago(2), hours_ago(3)

    set_params(live_stack, "Front door sensor", {"lock": 1, "trigTime": millis(triggered)})
    set_params(live_stack, "RF remote bridge", {"rfTrig0": cloud_iso(pressed)})

    expect(last_event(page)).to_have_text(in_zone(triggered, "UTC"))
    expect(card(page, "Front door sensor").locator("[data-card-body]")).to_contain_text(
        f"Last event {in_zone(triggered, 'UTC')}"
    )
    bridge = card(page, "RF remote bridge").locator("[data-card-body]")
    expect(bridge).to_have_text(f"Last button: Gate · Open, {in_zone(pressed, 'UTC')}")

    # The POWR3 has reported power, voltage and current, never its energy: no dash kWh.
    assert not {"dayKwh", "monthKwh"} & set(live_stack.device_params("Fridge plug"))
    fridge = card(page, "Fridge plug").locator("[data-card-body]")
    expect(fridge.locator(".reading__label")).to_have_text(["Power", "Voltage", "Current"])
    expect(fridge).not_to_contain_text("kWh")
    for body in (fridge, bridge):
        assert DASH not in body.inner_text()
    page.reload()
    wait_live(page)
    bodies = page.locator("[data-card-body]").all_inner_texts()
    assert len(bodies) > 20
    assert not [b for b in bodies if DASH in b], "no dash for a reading never reported"
    assert not [b for b in bodies if ISO.search(b)], "no raw ISO timestamp on any card"
    expect(last_event(page)).to_have_text(in_zone(triggered, "UTC"))


def test_the_owner_sets_the_zone_and_the_dashboard_follows(
    owner_page: Page, live_stack: LiveStack, demo_zone_restored: None
) -> None:
    page = owner_page
    triggered = hours_ago(2)
    set_params(live_stack, "Front door sensor", {"lock": 0, "trigTime": millis(triggered)})
    expect(last_event(page)).to_have_text(in_zone(triggered, "UTC"))

    page.goto("/accounts/household/")
    page.get_by_role("combobox", name="Time zone").select_option(KATHMANDU)
    page.get_by_role("button", name="Save time zone").click()

    expect(page.locator(".message--success")).to_have_text(f"Times are now shown in {KATHMANDU}.")
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value(KATHMANDU)
    page.goto("/")
    wait_live(page)
    expect(last_event(page)).to_have_text(in_zone(triggered, KATHMANDU))
    updated = card(page, "Front door sensor").locator("[data-card-status] time")
    expect(updated).to_have_text(re.compile(r"^updated "))

    # Live events are drawn in the new zone too, once the worker's next poll has read it.
    page.evaluate("window.notReloaded = true")
    deadline = time.monotonic() + 10
    for second in itertools.count():
        later = hours_ago(1.5) + timedelta(seconds=second)  # a new state: a new event
        set_params(live_stack, "Front door sensor", {"lock": 1, "trigTime": millis(later)})
        seconds = re.compile(rf":{second % 60:02d}[+-]")  # this event's body is in place
        expect(last_event(page)).to_have_attribute("datetime", seconds)
        if last_event(page).inner_text() == in_zone(later, KATHMANDU):
            break
        assert time.monotonic() < deadline, "live bodies never followed the new zone"
    assert page.evaluate("window.notReloaded === true")


def _post_zone(page: Page, stack: LiveStack, zone: str) -> tuple[int, str]:
    """A hand-made POST with the page's own session and CSRF token (no form to click)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{stack.url}/accounts/household/time-zone/",
        form={"time_zone": zone, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{stack.url}/accounts/household/"},
        max_redirects=0,
    )
    return response.status, response.text()


@pytest.mark.parametrize("role", ["member", "guest"])
def test_members_and_guests_see_the_zone_but_may_not_change_it(
    new_tab: Callable[..., Page], live_stack: LiveStack, role: str
) -> None:
    family = make_family(live_stack, role)
    person = signed_in(new_tab, family, role)
    person.goto("/accounts/household/")
    zone_panel = person.locator("section").filter(
        has=person.get_by_role("heading", name="Time zone")
    )
    expect(zone_panel).to_contain_text("Times are shown in UTC.")
    expect(person.get_by_role("combobox", name="Time zone")).to_have_count(0)
    expect(person.get_by_role("button", name="Save time zone")).to_have_count(0)

    status, text = _post_zone(person, live_stack, KATHMANDU)

    assert status == 403
    assert "This needs the admin role or higher." in text
    owner = signed_in(new_tab, family, "owner")
    owner.goto("/accounts/household/")
    expect(owner.get_by_role("combobox", name="Time zone")).to_have_value("UTC")
    status, _text = _post_zone(owner, live_stack, KATHMANDU)  # the same request, allowed
    assert status == 302
    person.reload()
    expect(zone_panel).to_contain_text(f"Times are shown in {KATHMANDU}.")
