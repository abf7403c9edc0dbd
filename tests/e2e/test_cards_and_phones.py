"""What a family hits on first use: groups, alarms arriving live, phones, words, the icon."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveStack, wait_live

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
SECOND_MEMBER = "a.rather.long.address.of.a.member@example.com"
SCREENSHOTS = Path(tempfile.gettempdir()) / "ewelink-e2e-screenshots"  # kept for a person to see
GROUP, MEMBERS = "Kitchen lights", ("Kitchen light", "Pantry light")
ALERT = re.compile(r"\bcard__status--alert\b")


def card(page: Page, name: str) -> Locator:
    title = page.get_by_role("heading", name=name, exact=True)
    return page.locator("article[data-thing]").filter(has=title)


def set_params(stack: LiveStack, name: str, params: dict[str, Any]) -> None:
    """What a device reports, as the cloud sends it to the worker."""
    stack.sim.control("POST", f"/devices/{stack.device_id(name)}/params", {"params": params})


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def members_are(stack: LiveStack, value: str) -> Callable[[], bool]:
    return lambda: all(stack.device_params(name)["switch"] == value for name in MEMBERS)


# ---- groups ------------------------------------------------------------------------------


def test_a_group_switches_on_then_off_and_every_page_follows(
    owner_page: Page,
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    live_stack: LiveStack,
) -> None:
    other = new_tab(storage_state=owner_cookies)
    other.goto("/")
    wait_live(other)
    for name in MEMBERS:  # everything off, from outside: both pages follow the members
        set_params(live_stack, name, {"switch": "off"})
    toggles = [card(p, GROUP).get_by_role("button", name="All on/off") for p in (owner_page, other)]
    for toggle in toggles:
        expect(toggle).to_have_attribute("aria-pressed", "false")

    toggles[0].click()

    wait_until(members_are(live_stack, "on"), 5, "every member on in the cloud")
    for toggle in toggles:
        expect(toggle).to_have_attribute("aria-pressed", "true")
    # The other page's group card says it was updated now, in words ("updated today 14:02").
    updated = card(other, GROUP).locator("[data-card-status] time")
    expect(updated).to_have_text(re.compile(r"^updated today \d\d:\d\d$"))
    moment = datetime.fromisoformat(str(updated.get_attribute("datetime")))
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 60, moment

    toggles[0].click()  # the same button now switches the group off

    wait_until(members_are(live_stack, "off"), 5, "every member off in the cloud")
    for toggle in toggles:
        expect(toggle).to_have_attribute("aria-pressed", "false")

    # One member switched on by itself (a wall switch): the group shows on.
    set_params(live_stack, "Pantry light", {"switch": "on"})
    for toggle in toggles:
        expect(toggle).to_have_attribute("aria-pressed", "true")


# ---- alarms arriving live look as after a reload -----------------------------------------

SENSORS = {
    # name: (params before, params after, text after, alert after)
    "Bathroom leak sensor": ({"water": 0}, {"water": 1}, "Leak!", True),
    "Front door sensor": ({"lock": 0}, {"lock": 1}, "Open", True),
    "Garage door sensor": ({"switch": "on"}, {"switch": "off"}, "Closed", False),
}


def status(page: Page, name: str) -> Locator:
    return card(page, name).locator('[data-state-key="status"]')


def test_alarms_arriving_live_are_styled_as_after_a_reload(
    owner_page: Page, live_stack: LiveStack
) -> None:
    page = owner_page
    for name, (before, _after, _text, _alert) in SENSORS.items():
        set_params(live_stack, name, before)
    expect(status(page, "Garage door sensor")).to_have_text("Open")
    expect(status(page, "Garage door sensor")).to_have_class(ALERT)
    expect(status(page, "Bathroom leak sensor")).to_have_text("Dry")
    expect(status(page, "Bathroom leak sensor")).not_to_have_class(ALERT)
    expect(status(page, "Front door sensor")).to_have_text("Closed")
    page.evaluate("window.notReloaded = true")

    for name, (_before, after, _text, _alert) in SENSORS.items():
        set_params(live_stack, name, after)

    for name, (_before, _after, text, alert) in SENSORS.items():
        expect(status(page, name)).to_have_text(text)
        if alert:
            expect(status(page, name)).to_have_class(ALERT)
        else:
            expect(status(page, name)).not_to_have_class(ALERT)
    assert page.evaluate("window.notReloaded === true"), "the page reloaded"
    bodies = {name: card(page, name).locator("[data-card-body]").inner_html() for name in SENSORS}

    page.reload()
    wait_live(page)
    for name, body in bodies.items():
        assert card(page, name).locator("[data-card-body]").inner_html() == body, name


# ---- every page fits a phone and loads cleanly -------------------------------------------

# Routes that are not pages a person opens by address, and why they are not measured here.
THING_ACTIONS = [
    "rename",
    "move",
    "channels",
    "notifications",
    "option",
    "clear_history",
    "remove",
    "ota_check",
    "upgrade",
    "timer_add",
    "timer_edit",
    "timer_delete",
    "timer_enable",
    "share",
    "share_permit",
    "unshare",
    "energy_fetch",
]
LAYOUT_ACTIONS = ["homes_add", "homes_rename", "homes_current", "rooms_add", "rooms_rename",
                  "rooms_move"]  # fmt: skip
NOT_PAGES = {
    "admin": "Django's own admin, not styled by this project",
    "accounts:logout": "a POST action",
    "accounts:household_switch": "a POST action",
    "accounts:household_leave": "the demo owner is the last owner: answered on the household page",
    "accounts:invitation_create": "a POST action",
    "accounts:household_time_zone": "a POST action (the household page holds its form)",
    "accounts:member_role": "a POST action on a member",
    "accounts:link_oauth_start": "a POST that leaves for eWeLink's authorization page",
    "accounts:link_oauth_callback": "eWeLink's redirect back, needs its one-time code",
    "accounts:account_sync": "a POST action on a linked account",
    "accounts:notifications_read_all": "a POST action",
    "accounts:notification_read": "a POST action on a notification",
    "dashboard:messages_read_all": "a POST action",
    "dashboard:message_read": "a POST action on a message",
    **dict.fromkeys(
        [f"dashboard:thing_{action}" for action in THING_ACTIONS],
        "a POST action on a thing (its page holds the form)",
    ),
    **dict.fromkeys(
        [f"dashboard:{name}" for name in LAYOUT_ACTIONS],
        "a POST action on a home or room (the homes page holds the form)",
    ),
    "dashboard:rooms_order": "JSON for the homes page's drag and drop (test_arranging)",
    "dashboard:thing_place": "JSON for the dashboard's drag and drop (test_arranging)",
    "dashboard:thing_readings": "JSON for a thing page's charts (test_readings_charts)",
    **dict.fromkeys(
        [f"dashboard:{name}" for name in ("rooms_switch", "homes_switch")],
        "a POST action on a room or home (its heading on the dashboard holds the form)",
    ),
    **dict.fromkeys(
        [f"dashboard:selection_{name}" for name in ("switch", "refresh", "move")],
        "a POST action on the chosen things (the dashboard's selection bar holds the form)",
    ),
    **dict.fromkeys(
        [f"dashboard:groups_{name}" for name in ("add", "rename", "members")],
        "a POST action on a group (the groups page holds the form)",
    ),
    "healthz": "JSON for the launcher",
    "readyz": "JSON for the compose health check (test_ops_metrics)",
    "metrics": "Prometheus text for a scraper with the token (test_ops_metrics)",
    "dashboard:room_cards": "a room's cards that htmx puts into the dashboard (test_lazy_rooms)",
    "favicon": "the icon (test_every_page_loads_without_errors fetches it)",
    "manifest": "JSON for browsers (test_phones_and_wall asks Chromium about it)",
    "logbook:export_csv": "a download (test_logbook checks the CSV)",
    "logbook:export_json": "a download (tests/logbook checks the JSON)",
    "logbook:thing_history": "a thing's history rows that htmx puts into its page (test_logbook)",
    "logbook:thing_history_fetch": "a POST action on a thing (its page holds the form)",
}
# Pages about one object (the confirmation pages, an invitation): the route → Python run in
# the stack's `manage.py shell` that prints the path's argument. `owner` is the demo owner's
# membership; SECOND_MEMBER the address of the `second_member` fixture.
OBJECT_PAGES = {
    # A two-channel switch: the thing page with the most forms.
    "dashboard:thing": "print(Thing.objects.get(name='Worktop lights').pk)",
    # Asking before deleting: a home with another home to move its devices to, and a room.
    "dashboard:homes_delete": "print(Home.objects.get(name='Holiday cottage').pk)",
    "dashboard:rooms_delete": "print(Room.objects.get(name='Garden').pk)",
    "dashboard:groups_delete": "print(Thing.objects.get(name='Kitchen lights', kind='group').pk)",
    "accounts:account_unlink": "print(LinkedAccount.objects.filter(household=owner.household)"
    ".order_by('pk').first().pk)",
    # The add-device page and the overview of a linked account (the overview asks the cloud).
    **dict.fromkeys(
        [
            "dashboard:device_add",
            "dashboard:account_overview",
            "accounts:account_settings",  # viewed only: the profile is read, nothing sent
            "accounts:account_close",  # step 1 only: no code is asked for
        ],
        "print(LinkedAccount.objects.filter(household=owner.household).order_by('pk').first().pk)",
    ),
    "accounts:member_remove": "print(Membership.objects.get(user__username=SECOND_MEMBER).pk)",
    "accounts:invitation_revoke": "print(services.create_invitation(owner, Role.GUEST)[0].pk)",
    "accounts:invitation_accept": "print(services.create_invitation(owner, Role.GUEST)[1])",
    "accounts:invitation_signup": "print(services.create_invitation(owner, Role.GUEST)[1])",
}
# Pages seen signed out: a signed-in person is sent on from them.
SIGNED_OUT = {
    "accounts:login",
    "accounts:signup",
    "accounts:invitation_accept",
    "accounts:invitation_signup",
}


def routes(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "", ns: str = ""
) -> Iterator[tuple[str, str]]:
    """(name, path) of every route of the URLconf, namespaced like `accounts:login`."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                yield "admin", prefix + str(pattern.pattern)
                continue
            inner = f"{ns}{pattern.namespace}:" if pattern.namespace else ns
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            yield f"{ns}{pattern.name}", prefix + str(pattern.pattern)


PAGES = sorted((name, "/" + path) for name, path in routes() if name not in NOT_PAGES)


def test_the_page_list_covers_the_urlconf() -> None:
    for name, path in PAGES:
        needs_object = "<" in path
        assert needs_object == (name in OBJECT_PAGES), f"{name}: list it in OBJECT_PAGES"
    names = {name for name, _path in PAGES}
    # The pages a family meets first are all among them.
    assert {"dashboard:home", "accounts:household", "accounts:linked_accounts",
            "accounts:link_password", "accounts:notifications", "accounts:password_change",
            "accounts:login", "accounts:signup", "accounts:household_create", "accounts:link_sms",
            "accounts:link_register", "accounts:link_reset"} <= names  # fmt: skip
    assert set(NOT_PAGES) <= {name for name, _path in routes()}, "NOT_PAGES lists a gone route"


def object_path(stack: LiveStack, name: str, path: str) -> str:
    """`path` with its argument made by OBJECT_PAGES; other paths as they are."""
    if name not in OBJECT_PAGES:
        return path
    script = (
        "from django_scopes import scopes_disabled\n"
        "from accounts import services\n"
        "from accounts.models import LinkedAccount, Membership, Role\n"
        "from devices.models import Home, Room, Thing\n"
        f"SECOND_MEMBER = {SECOND_MEMBER!r}\n"
        "with scopes_disabled():\n"
        f"    owner = Membership.objects.get(user__email={stack.email!r})\n"
        f"    {OBJECT_PAGES[name]}\n"
    )
    argument = stack.manage("shell", "-c", script).strip().splitlines()[-1]
    return re.sub(r"<[^>]+>", argument, path)


def open_page(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], name: str, path: str, **opts: Any
) -> tuple[Page, list[str]]:
    """The page as its visitor sees it, with every console error and failed request."""
    cookies = None if name in SIGNED_OUT else owner_cookies
    page = new_tab(storage_state=cookies, **opts)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    response = page.goto(path)
    assert response is not None
    assert response.ok, f"{path}: {response.status}"
    assert urlpath(page.url) == path, f"{path} sent its visitor on to {page.url}"
    if name == "dashboard:home":
        wait_live(page)
    page.wait_for_load_state("networkidle")
    return page, problems


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[3].split("?")[0]


@pytest.fixture
def second_member(live_stack: LiveStack) -> Iterator[str]:
    """Another member with a long address, so the household page has a row with its actions
    (removed afterwards: other tests expect the demo household as it was)."""
    email = SECOND_MEMBER
    imports = (
        "from django.contrib.auth import get_user_model\n"
        "from django_scopes import scopes_disabled\n"
        "from accounts.models import Membership, Role\n"
    )
    live_stack.manage(
        "shell",
        "-c",
        imports + "with scopes_disabled():\n"
        f"    owner = Membership.objects.filter(user__email={live_stack.email!r}).first()\n"
        "    user, _ = get_user_model().objects.get_or_create(\n"
        f"        username={email!r}, defaults={{'email': {email!r}}})\n"
        "    Membership.objects.get_or_create(\n"
        "        user=user, household=owner.household, defaults={'role': Role.GUEST})\n",
    )
    yield email
    live_stack.manage(
        "shell", "-c", imports + f"get_user_model().objects.filter(username={email!r}).delete()\n"
    )


def open_listed_page(
    request: pytest.FixtureRequest,
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    name: str,
    path: str,
    **opts: Any,
) -> tuple[Page, list[str]]:
    """A page of PAGES, its object made first; the household has a second member to show."""
    if name in ("accounts:household", "accounts:member_remove"):
        request.getfixturevalue("second_member")
    path = object_path(request.getfixturevalue("live_stack"), name, path)
    return open_page(new_tab, owner_cookies, name, path, **opts)


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _path in PAGES])
def test_every_page_fits_a_phone(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    request: pytest.FixtureRequest,
    name: str,
    path: str,
) -> None:
    member = SECOND_MEMBER
    page, _problems = open_listed_page(
        request, new_tab, owner_cookies, name, path, viewport=PHONE, is_mobile=True, has_touch=True
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate(
            """limit => [...document.querySelectorAll('body *')]
                 .filter(el => el.getBoundingClientRect().right > limit + 0.5)
                 .slice(0, 5).map(el => el.tagName + '.' + el.className + ' ' +
                                  Math.round(el.getBoundingClientRect().right))""",
            PHONE["width"],
        )
        pytest.fail(f"{path} is {width} px wide at {PHONE['width']} px; too wide: {wide}")
    if name == "accounts:household":  # the row's actions are on the screen
        row = page.locator("tr").filter(has_text=member)
        remove = row.get_by_role("button", name="Remove")
        box = remove.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= PHONE["width"], "Remove sticks out of its card"
    if name == "accounts:linked_accounts":
        for button in page.get_by_role("button", name=re.compile("^(Resync|Unlink)$")).all():
            box = button.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= PHONE["width"], "an account's action is off-screen"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"phone-{name.replace(':', '-')}.png", full_page=True)
    # Every link of the top menu can be seen and reached without scrolling sideways.
    for link in page.locator(".topbar a, .topbar summary").all():
        box = link.bounding_box()
        assert box is not None, f"{path}: top menu item {link.inner_text()!r} is hidden"
        inside = box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert inside, f"{path}: top menu item {link.inner_text()!r} is cut off"


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _path in PAGES])
def test_every_page_loads_without_errors(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    request: pytest.FixtureRequest,
    name: str,
    path: str,
) -> None:
    page, problems = open_listed_page(request, new_tab, owner_cookies, name, path)
    icon = page.request.get("/favicon.ico")
    assert icon.ok, icon.status
    assert "svg" in icon.headers["content-type"]
    assert page.locator("link[rel=icon]").count() == 1
    assert problems == [], f"{path}: {problems}"


@pytest.mark.parametrize(
    ("path", "fields", "error"),
    [
        ("/accounts/password/", {"Old password": "not-my-password"}, "incorrectly"),
        ("/accounts/household/new/", {"Household name": "   "}, "This field is required"),
    ],
)
def test_a_form_with_errors_answers_200_and_logs_no_console_error(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    path: str,
    fields: dict[str, str],
    error: str,
) -> None:
    page, problems = open_page(new_tab, owner_cookies, path, path)
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").first.click()
    assert posted.value.status == 200
    expect(page.locator("main")).to_contain_text(error)
    assert problems == [], f"{path}: {problems}"


# ---- words -------------------------------------------------------------------------------


def test_toggles_say_on_or_off_in_words(owner_page: Page, live_stack: LiveStack) -> None:
    toggle = card(owner_page, "Pantry light").get_by_role("button", name="Power")
    word = "el => getComputedStyle(el, '::after').content"
    set_params(live_stack, "Pantry light", {"switch": "on"})
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert '"On"' in toggle.evaluate(word)
    set_params(live_stack, "Pantry light", {"switch": "off"})
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert '"Off"' in toggle.evaluate(word)


def test_a_bridge_shows_labels_and_a_white_colour_is_readable(
    owner_page: Page, live_stack: LiveStack
) -> None:
    bridge = card(owner_page, "Zigbee bridge")
    expect(bridge.locator("dt", has_text="Firmware")).to_be_visible()
    expect(bridge.locator("dt", has_text="Wi-Fi signal")).to_be_visible()
    expect(bridge).to_contain_text(re.compile(r"-?\d+ dBm"))
    for raw in ("fwVersion", "rssi", "sledOnline", "zled"):
        expect(bridge.locator("dt", has_text=re.compile(rf"^{raw}$"))).to_have_count(0)

    set_params(live_stack, "TV backlight", {"colorR": 255, "colorG": 255, "colorB": 255})
    value = card(owner_page, "TV backlight").locator(".swatch [data-state-key=color]")
    expect(value).to_have_text("#ffffff")
    colour, background = value.evaluate(
        """el => [getComputedStyle(el).color,
                  getComputedStyle(el.closest('.card')).backgroundColor]"""
    )
    assert colour != background, colour
    assert colour != "rgb(255, 255, 255)", colour


def test_a_home_with_only_shared_things_says_where_they_are(owner_page: Page) -> None:
    home = owner_page.locator("section.home").filter(
        has=owner_page.get_by_role("heading", name=re.compile(r"^My Home"))
    )
    expect(home).to_contain_text("Shared with this account")
    expect(home).to_contain_text("Sofa lamp")
    expect(home).to_contain_text("Hall thermostat")
