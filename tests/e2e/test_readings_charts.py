"""Charts and energy on a thing page, in a real browser against cloudsim.

The chart of a simulated meter fills in live as cloudsim reports power; a 7-day chart draws
5-minute roll-ups with their min/max band (older readings are seeded by a test helper into
the roll-up table, as the retention job would have left them: our clock is real time, so
days of history cannot be waited for); the energy bars come from cloudsim's energy history
after "Fetch now", on the page of the member who asked and live on a guest's, who has no
button and is refused a forged fetch; axe passes on the page with its charts drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from cloudsim.uiids.meters import pow_days
from devices.plugins.meter.energy import hundred_days
from tests.e2e.conftest import LiveStack, wait_live
from tests.e2e.test_accessibility import assert_no_violations
from tests.e2e.things import forged_post, open_thing, own_device
from tests.waiting import until

pytestmark = pytest.mark.browser

METER = {"switch": "on", "power": "10.00", "voltage": "230.00", "current": "0.04"}


def power_chart(page: Page) -> Locator:
    return page.locator('[data-chart][data-unit="W"]')


def points(chart: Locator) -> int:
    return int(chart.get_attribute("data-points") or 0)


def set_params(stack: LiveStack, deviceid: str, params: dict[str, Any]) -> None:
    stack.sim.control("POST", f"/devices/{deviceid}/params", {"params": params})


def test_a_meters_chart_fills_in_live_and_the_samples_are_kept(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    with own_device(live_stack, "Chart meter", uiid=32, params=METER) as (deviceid, pk):
        page = open_thing(new_tab, owner_cookies, pk)
        guest = open_thing(new_tab, role_cookies("guest"), pk)
        chart = power_chart(page)
        # Both charts drawn first: a chart still loading misses the live points meanwhile.
        for tab in (page, guest):
            expect(power_chart(tab).locator("[data-chart-latest]")).not_to_have_text("")
            expect(tab.locator("[data-chart-note]")).to_contain_text("5-minute")
        before, guest_before = points(chart), points(power_chart(guest))
        for watts in ("123.45", "234.56", "345.67"):
            set_params(live_stack, deviceid, {"power": watts})
            expect(chart.locator("[data-chart-latest]")).to_contain_text(f"{watts} W")
        assert points(chart) >= before + 3
        latest = power_chart(guest).locator("[data-chart-latest]")
        expect(latest).to_contain_text("345.67 W")  # a guest's page follows too
        # Every point, though a structure change (a sync ending late) may have redrawn the
        # panel in between: twice that reload lost the live points, 2 for 3 frames.
        assert points(power_chart(guest)) >= guest_before + 3
        assert page.evaluate("window.notReloaded") is True
        # The worker kept samples (one per 10 s; written with its next flush, which may queue
        # behind other database work of the worker): the endpoint has them, a new drawing too.
        url = f"/things/{pk}/readings/?range=6h&series=power"

        def stored() -> bool:
            answer = page.evaluate(f"fetch('{url}').then(r => r.json())")
            return bool(answer["data"]["power"]["avg"])

        until(stored, timeout=20, what="stored samples")
        page.locator('[data-chart-range="6h"]').click()
        expect(page.locator("[data-chart-note]")).to_contain_text("every sample")
        until(lambda: points(chart) >= 1, timeout=10, what="stored samples on a new drawing")


def test_a_redrawn_readings_panel_keeps_the_live_points_its_chart_had(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    """A structure change (here a rename on another page) redraws every panel of a thing page:
    the chart, reloaded from stored samples (one per 10 s), keeps the live points it showed."""
    with own_device(live_stack, "Redrawn meter", uiid=32, params=METER) as (deviceid, pk):
        guest = open_thing(new_tab, role_cookies("guest"), pk)
        chart = power_chart(guest)
        expect(chart.locator("[data-chart-latest]")).not_to_have_text("")
        expect(guest.locator("[data-chart-note]")).to_contain_text("5-minute")
        for watts in ("111.11", "222.22"):
            set_params(live_stack, deviceid, {"power": watts})
            expect(chart.locator("[data-chart-latest]")).to_contain_text(f"{watts} W")
        shown = points(chart)
        guest.evaluate("document.querySelector('[data-charts]').dataset.before = 'yes'")

        owner = open_thing(new_tab, owner_cookies, pk)
        settings = owner.locator('[data-fragment="thing-settings"]')
        settings.get_by_label("Name").fill("Redrawn meter two")
        settings.get_by_role("button", name="Rename").click()
        expect(owner.locator(".messages")).to_contain_text("Renamed")

        expect(guest.locator("[data-charts][data-before]")).to_have_count(0)  # redrawn
        expect(guest.locator("[data-charts]")).to_have_count(1)
        until(lambda: points(chart) >= shown, timeout=10, what="the live points drawn again")
        expect(chart.locator("[data-chart-latest]")).to_contain_text("222.22 W")
        set_params(live_stack, deviceid, {"power": "333.33"})
        expect(chart.locator("[data-chart-latest]")).to_contain_text("333.33 W")
        assert points(chart) >= shown + 1
        assert guest.evaluate("window.notReloaded") is True


def test_frames_that_come_while_a_chart_loads_are_drawn(
    new_tab: Callable[..., Page], role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:  # fmt: skip
    """The stored samples come by a request; the live frames that arrive before its answer
    are drawn once it comes, not lost."""
    with own_device(live_stack, "Slow chart meter", uiid=32, params=METER) as (deviceid, pk):
        page = new_tab(storage_state=role_cookies("guest"))
        holding, held = [True], []

        def hold(route: Route) -> None:
            if holding[0]:
                held.append(route)
            else:
                route.continue_()

        page.route("**/readings/**", hold)
        page.goto(f"/things/{pk}/")
        wait_live(page)
        until(lambda: page.evaluate("true") and bool(held), timeout=10, what="the chart's load")
        for watts in ("411.11", "422.22"):
            set_params(live_stack, deviceid, {"power": watts})
            expect(page.locator('[data-live-power="power"]')).to_have_text(watts)
        holding[0] = False
        for route in held:
            route.continue_()
        chart = power_chart(page)
        expect(chart.locator("[data-chart-latest]")).to_contain_text("422.22 W")
        assert points(chart) >= 2


def seed_five_minute_rollups(stack: LiveStack, pk: int, days: int) -> int:
    """5-minute roll-ups of `days` days ago until an hour ago, as the job leaves them."""
    code = (
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from readings.models import Rollup\n"
        "from readings.rollup import floor_time\n"
        "end = floor_time(timezone.now() - timedelta(hours=1), 300)\n"
        f"start = end - timedelta(days={days})\n"
        "rows, at = [], start\n"
        "while at < end:\n"
        "    n = len(rows)\n"
        f"    rows.append(Rollup(thing_id={pk}, series='power', step=300, at=at,\n"
        "        low=50 + n % 7, mean=60 + n % 7, high=70 + n % 7, count=30))\n"
        "    at += timedelta(minutes=5)\n"
        "Rollup.objects.bulk_create(rows, ignore_conflicts=True)\n"
        "print(len(rows))\n"
    )
    return int(stack.manage("shell", "-c", code).strip().splitlines()[-1])


def test_a_seven_day_chart_draws_roll_ups_with_their_band(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Week meter", uiid=32, params=METER) as (_deviceid, pk):
        seeded = seed_five_minute_rollups(live_stack, pk, days=6)
        page = open_thing(new_tab, owner_cookies, pk)
        page.locator('[data-chart-range="7d"]').click()
        expect(page.locator('[data-chart-range="7d"]')).to_have_attribute("aria-pressed", "true")
        expect(page.locator("[data-chart-note]")).to_contain_text("5-minute min / average / max")
        chart = power_chart(page)
        until(lambda: points(chart) >= seeded, timeout=10, what="six days of 5-minute points")
        legend = chart.locator(".u-legend")
        expect(legend).to_contain_text("Power min")
        expect(legend).to_contain_text("Power max")
        # The 30-day range goes hourly: the job has summarized none of the seeded rows into
        # hours, so its points come from the 5-minute rows, summed into hours here.
        page.locator('[data-chart-range="30d"]').click()
        expect(page.locator("[data-chart-note]")).to_contain_text("hourly")
        until(lambda: 140 <= points(chart) <= 150, timeout=10, what="about 6 x 24 hourly points")
        # A custom range without readings says so, in words.
        page.locator("[data-chart-custom] input[name=start]").fill("2025-01-01")
        page.locator("[data-chart-custom] input[name=end]").fill("2025-01-02")
        page.get_by_role("button", name="Show range").click()
        expect(chart.locator("[data-chart-latest]")).to_have_text("No readings in this range yet.")


def kwh(value: float) -> str:
    """As the page writes it (`floatformat:"-2"`): two decimals, none for a whole number.
    `:g` wrote 16.2 where the page shows 16.20, so the test failed on days whose month so far
    came to a round tenth (2026-12-05)."""
    return f"{value:.0f}" if value == round(value) else f"{value:.2f}"


def expected_energy(today: datetime) -> tuple[float, float]:
    """Today's and this month's kWh of cloudsim's synthetic hundred days (UTC calendar)."""
    days = hundred_days(pow_days(100))
    month = sum(days[back] for back in range(today.day))
    return days[0], round(month, 2)


def test_energy_bars_come_from_the_meters_history_and_a_guest_may_not_fetch(
    new_tab: Callable[..., Page],
    role_cookies: Callable[[str], dict[str, Any]],
    live_stack: LiveStack,
) -> None:
    with own_device(live_stack, "Energy meter", uiid=32, params=METER) as (_deviceid, pk):
        member = open_thing(new_tab, role_cookies("member"), pk)
        guest = open_thing(new_tab, role_cookies("guest"), pk)
        panel = guest.locator('[data-fragment="thing-energy"]')
        expect(panel.locator("[data-energy-empty]")).to_be_visible()
        expect(panel.get_by_role("button", name="Fetch now")).to_have_count(0)
        refused = forged_post(guest, f"/things/{pk}/energy/fetch/", {})
        assert refused.startswith("403")
        assert "needs the member role" in refused
        member.get_by_role("button", name="Fetch now").click()  # posted; the page stays
        today, month = expected_energy(datetime.now(UTC))
        for page in (member, guest):  # the guest's page redraws live, no reload
            energy = page.locator('[data-fragment="thing-energy"]')
            expect(energy.locator("[data-energy-today]")).to_have_text(f"{kwh(today)} kWh")
            expect(energy.locator("[data-energy-month]")).to_have_text(f"{kwh(month)} kWh")
            days = energy.locator('[data-energy-bars="days"]')
            until(lambda d=days: int(d.get_attribute("data-bars") or 0) == 30, what="30 bars")
            expect(days.locator("canvas")).to_have_count(1)
        for page in (member, guest):
            assert page.evaluate("window.notReloaded") is True
        expect(guest.get_by_role("button", name="Fetch now")).to_have_count(0)


def test_the_thing_page_with_charts_passes_axe_light_dark_and_on_a_phone(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Axe meter", uiid=32, params=METER) as (_deviceid, pk):
        seed_five_minute_rollups(live_stack, pk, days=1)
        page = open_thing(new_tab, owner_cookies, pk)
        page.get_by_role("button", name="Fetch now").click()
        # The page posts it and stays: a reload before the answer could cancel the request in
        # flight, and then no history ever came (run f1 of session 36, seed 71342).
        expect(page.locator("[data-energy-status]")).to_contain_text("Asked the meter")
        # The page was live before the click: the meter's answer redraws its panel, no reload.
        expect(page.locator('[data-energy-bars="days"] canvas')).to_have_count(1, timeout=20_000)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            expect(power_chart(page).locator("canvas")).to_have_count(1)
            assert_no_violations(page, f"thing page with charts ({scheme})")
        page.set_viewport_size({"width": 360, "height": 740})
        page.reload()
        expect(power_chart(page).locator("canvas")).to_have_count(1)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways on a phone ({width}px)"


def test_a_meters_card_draws_a_sparkline_that_follows_live(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack
) -> None:
    with own_device(live_stack, "Spark meter", uiid=32, params=METER) as (deviceid, pk):
        page = new_tab(storage_state=owner_cookies)
        page.goto("/")
        line = page.locator(f'article[data-thing="{pk}"] [data-sparkline="power"]')
        line.scroll_into_view_if_needed()
        expect(line.locator("canvas")).to_have_count(1)
        before = int(line.get_attribute("data-points") or 0)
        set_params(live_stack, deviceid, {"power": "456.78"})
        card = page.locator(f'article[data-thing="{pk}"]')
        expect(card.locator("[data-card-body]")).to_contain_text("456.78")
        until(lambda: int(line.get_attribute("data-points") or 0) > before, what="a new point")
        # A switch asks for no line.
        switch = page.locator('article[data-plugin="switch"]').first
        expect(switch.locator("[data-sparkline]")).to_have_count(0)
