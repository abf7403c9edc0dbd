"""Every page passes axe-core, works from the keyboard, and its menu works on a phone.

axe (static/vendor/axe-core, a test-only copy) is injected into the page under test: no page
loads it. Only violations axe rates "serious" or "critical" fail a test; each is reported with
its rule, element and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from tests.e2e.conftest import ROOT, LiveStack, wait_live
from tests.e2e.test_cards_and_phones import (  # the one page list (with its objects), shared
    PAGES,
    card,
    open_listed_page,
    second_member,  # noqa: F401 (a fixture open_listed_page asks for by name)
)
from tests.waiting import until

pytestmark = pytest.mark.browser

AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
PHONE = {"width": 360, "height": 740}
SMALL_PHONE_NAV = {"width": 390, "height": 844}

# Serious violations whose fix belongs in a file another change owns: (rule id, a CSS selector
# the element matches or lies inside) → the fix to make there. Whoever makes a fix removes its
# entry; every other violation fails.
PENDING_FIXES: dict[tuple[str, str], str] = {}  # (rule, selector) of known, owned findings


def violations(page: Page) -> list[str]:
    """axe's serious and critical findings on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, str]] = page.evaluate(
        """async ([blocking, pending]) => {
             const result = await axe.run(document, {resultTypes: ['violations']});
             const isPending = (rule, target) => pending.some(([id, selector]) => {
               const el = document.querySelector(target);
               return id === rule && el !== null && el.closest(selector) !== null;
             });
             return result.violations.flatMap(rule => rule.nodes
               .filter(node => blocking.includes(node.impact || rule.impact))
               .filter(node => !isPending(rule.id, node.target.join(' ')))
               .map(node => ({rule: rule.id, impact: node.impact || rule.impact,
                              target: node.target.join(' '), help: rule.help,
                              summary: node.failureSummary.replace(/\\s+/g, ' ')})));
           }""",
        [list(BLOCKING), list(PENDING_FIXES)],
    )
    return [
        f"{v['rule']} ({v['impact']}) at {v['target']}: {v['help']}. {v['summary']}" for v in found
    ]


def assert_no_violations(page: Page, where: str) -> None:
    found = violations(page)
    assert not found, f"{where}: {len(found)} accessibility violations:\n" + "\n".join(found)


# ---- every page ----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _path in PAGES])
def test_every_page_passes_axe(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    request: pytest.FixtureRequest,
    name: str,
    path: str,
    scheme: str,
) -> None:
    page, _problems = open_listed_page(
        request, new_tab, owner_cookies, name, path, color_scheme=scheme
    )
    assert_no_violations(page, f"{page.url} ({scheme})")


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "signed-out"])
def test_the_not_found_page_passes_axe(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], signed_in: bool
) -> None:
    page = new_tab(storage_state=owner_cookies if signed_in else None)
    response = page.goto("/no-such-page/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert_no_violations(page, "the 404 page")


def open_every_menu(page: Page) -> None:
    """Open every <details> (navigation, account menu), so their contents are checked too."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, PHONE], ids=["desktop", "phone"]
)
def test_the_live_dashboard_passes_axe(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    viewport: dict[str, int],
    scheme: str,
) -> None:
    page = new_tab(storage_state=owner_cookies, viewport=viewport, color_scheme=scheme)
    page.goto("/")
    wait_live(page)  # the script has run: live status shown, cards patched from the snapshot
    expect(page.locator("[data-live-status]")).to_be_visible()
    assert_no_violations(page, f"live dashboard {viewport['width']} px ({scheme})")
    # Select mode: a box on every card and the bar of what to do with the chosen ones.
    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_label("Select Kitchen light", exact=True).check()
    expect(page.locator("[data-selection-bar]")).to_be_visible()
    assert_no_violations(page, f"live dashboard {viewport['width']} px, selecting ({scheme})")
    open_every_menu(page)
    assert_no_violations(page, f"live dashboard {viewport['width']} px, menus open ({scheme})")


class PageSocket:
    """The page's websocket, routed through Playwright so a test can cut it (the server and
    the cloud stay up): a cut closes it and refuses the page's reconnects from then on."""

    def __init__(self, page: Page) -> None:
        self.up = True
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(re.compile(r"/ws/household/(\?.*)?$"), self._route)

    def _route(self, page_side: WebSocketRoute) -> None:
        if not self.up:
            page_side.close(code=1011, reason="cut by the test")
            return
        self.open.append((page_side, page_side.connect_to_server()))

    def cut(self) -> None:
        self.up = False
        for page_side, server_side in self.open:
            server_side.close()
            page_side.close(code=1011, reason="cut by the test")
        self.open.clear()


def test_the_dashboard_passes_axe_with_an_offline_thing_and_while_reconnecting(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any]
) -> None:
    page = new_tab(storage_state=owner_cookies)
    socket = PageSocket(page)
    page.goto("/")
    wait_live(page)
    expect(card(page, "Cottage heater")).to_have_class(re.compile(r"\bcard--offline\b"))
    assert_no_violations(page, "dashboard with an offline thing")

    socket.cut()  # every card is stale, the status says the page is reconnecting

    expect(page.locator("[data-live-status]")).not_to_have_attribute("data-state", "live")
    expect(page.locator(".card--stale")).to_have_count(page.locator(".card").count())
    assert_no_violations(page, "dashboard reconnecting, its cards stale")


# ---- the keyboard ----------------------------------------------------------------------------

# What the focused element looks like: its ring (outline or box-shadow), the contrast of the
# ring with the first opaque background behind it, and whether it is on the screen.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let behind = el.parentElement, back = [255, 255, 255];
  for (; behind; behind = behind.parentElement) {
    const c = rgb(getComputedStyle(behind).backgroundColor);
    if (c.length === 3 || c[3] === 1) { back = c; break; }
  }
  const style = getComputedStyle(el);
  const ring = rgb(style.outlineColor);
  const [hi, lo] = [lum(ring), lum(back)].sort((a, b) => b - a);
  const box = el.getBoundingClientRect();
  if (!el.dataset.a11ySeen) {
    el.dataset.a11ySeen = String(document.querySelectorAll('[data-a11y-seen]').length);
  }
  return {
    order: Number(el.dataset.a11ySeen),
    what: el.outerHTML.slice(0, 120),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    ringContrast: (hi + 0.05) / (lo + 0.05),
    boxShadow: style.boxShadow !== 'none',
    onScreen: box.width > 0 && box.height > 0,
  };
}"""

# Every control a person could reach that the walk has not: visible (not in a closed menu),
# enabled. (Run after the walk; the walk marks what it reached with data-a11y-seen.)
MISSED = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
  .filter(el => el.tabIndex >= 0 && !el.disabled && el.checkVisibility())
  .filter(el => !el.dataset.a11ySeen)
  .map(el => el.outerHTML.slice(0, 120))"""


def walk_with_tab(page: Page, on_focus: Callable[[Locator], None] = lambda _el: None) -> int:
    """Tab round the whole page until focus comes back to a control it met; every stop is
    named, shown and ringed. `on_focus` is called at each stop. The number of stops."""
    page.evaluate("document.activeElement?.blur()")  # an autofocused field is a stop too
    stops, outside = 0, 0
    for _ in range(400):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUSED)
        if info is None:  # past the last control, on the page itself: Tab goes round
            outside += 1
            if outside > 2:
                break
            continue
        if info["order"] < stops:
            break  # a control met before: the round is done
        stops += 1
        focused = page.locator(":focus")
        expect(
            focused, f"stop {stops} has no accessible name: {info['what']}"
        ).to_have_accessible_name(re.compile(r"\S"))
        assert info["onScreen"], f"focus went to something not shown: {info['what']}"
        assert info["outline"] or info["boxShadow"], f"no visible focus ring on {info['what']}"
        if info["outline"]:
            assert info["ringContrast"] >= 3, (
                f"focus ring contrast {info['ringContrast']:.2f} on {info['what']}"
            )
        on_focus(focused)
    else:
        pytest.fail("Tab went on for 400 stops without coming round")
    missed = page.evaluate(MISSED)
    assert not missed, f"Tab never reached: {missed}"
    return stops


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tab_reaches_every_dashboard_control_named_and_ringed_and_a_toggle_works(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], live_stack: LiveStack, scheme: str
) -> None:
    page = new_tab(storage_state=owner_cookies, color_scheme=scheme)
    page.goto("/")
    wait_live(page)
    toggle = card(page, "Kitchen light").get_by_role("button", name="Power")
    toggle_id = toggle.get_attribute("id")
    pressed: list[str] = []

    def press_the_toggle(focused: Locator) -> None:
        if focused.get_attribute("id") != toggle_id:
            return
        for key in ("Enter", " "):  # a button: both keys press it
            target = "off" if focused.get_attribute("aria-pressed") == "true" else "on"
            page.keyboard.press(key)
            until(
                lambda want=target: live_stack.device_params("Kitchen light")["switch"] == want,
                5,
                f"{key!r} on the focused toggle switching the device {target}",
            )
            expect(focused).to_have_attribute("aria-pressed", str(target == "on").lower())
            pressed.append(key)

    stops = walk_with_tab(page, press_the_toggle)

    assert pressed == ["Enter", " "], "Tab never reached the Kitchen light's Power toggle"
    assert stops > 20, stops  # the dashboard's links, filter and card controls


@pytest.mark.parametrize(
    ("name", "path"),
    [("accounts:household", "/accounts/household/"), ("accounts:login", "/accounts/login/")],
)
def test_tab_reaches_every_control_of_a_form_page(
    new_tab: Callable[..., Page],
    owner_cookies: dict[str, Any],
    request: pytest.FixtureRequest,
    name: str,
    path: str,
) -> None:
    page, _problems = open_listed_page(request, new_tab, owner_cookies, name, path)
    assert walk_with_tab(page) >= 3


def test_on_a_phone_tab_skips_the_closed_menu_and_reaches_every_control(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any]
) -> None:
    page = new_tab(storage_state=owner_cookies, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/")
    wait_live(page)
    walk_with_tab(page)  # the walk fails on a focused link that cannot be seen


# ---- the navigation on a phone ---------------------------------------------------------------

NAV_LINKS = {  # link name → where it leads
    "Dashboard": "/",
    "eWeLink accounts": "/accounts/cloud/",
    "Household": "/accounts/household/",
    "Notifications": "/accounts/notifications/",
    "Messages": "/messages/",
    "Logbook": "/logbook/",
    "Admin": "/admin/",
}


@pytest.fixture
def staff_owner(live_stack: LiveStack) -> Iterator[None]:
    """The demo owner is staff for the test, so the menu has its Admin link too."""

    def set_staff(value: str) -> str:
        """Set is_staff to the Python literal `value`; the value it had."""
        return live_stack.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            f"owner = get_user_model().objects.get(email={live_stack.email!r})\n"
            f"print(owner.is_staff)\nowner.is_staff = {value}\nowner.save()\n",
        ).splitlines()[-1]  # after the shell's own line about its imports

    was = set_staff("True")
    yield
    set_staff(was)


def nav_link(page: Page, name: str) -> Locator:
    nav = page.get_by_role("navigation", name="Main")
    return nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}\b"))


def assert_in_viewport(page: Page, element: Locator, what: str) -> None:
    box = element.bounding_box()
    assert box is not None, f"{what} has no box"
    size = page.viewport_size
    assert size is not None
    inside = (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )
    assert inside, f"{what} is outside the {size['width']}x{size['height']} screen: {box}"
    # Nothing lies on top of it (the account menu, the page): a tap reaches it.
    on_top = element.evaluate(
        """el => { const r = el.getBoundingClientRect();
                   const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                   return el.contains(hit); }"""
    )
    assert on_top, f"{what} is covered by something else"


@pytest.mark.usefixtures("staff_owner")
@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_on_a_390px_phone_every_nav_link_is_in_the_menu(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any], javascript: bool
) -> None:
    page = new_tab(
        storage_state=owner_cookies,
        viewport=SMALL_PHONE_NAV,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
    )
    page.goto("/accounts/household/")
    menu = page.locator("summary").filter(has_text=re.compile(r"^\s*Menu\s*$"))
    assert_in_viewport(page, menu, "the Menu button")
    expect(menu).to_have_accessible_name("Menu")
    for name in NAV_LINKS:  # folded away until asked for
        expect(nav_link(page, name)).to_be_hidden()

    if javascript:
        menu.tap()
    else:  # and from the keyboard: Tab to it (after the skip link and the brand), Enter
        for _ in range(3):
            page.keyboard.press("Tab")
        expect(menu).to_be_focused()
        page.keyboard.press("Enter")

    for name in NAV_LINKS:
        link = nav_link(page, name)
        expect(link).to_be_visible()
        assert_in_viewport(page, link, f"the {name} link")
        assert (link.get_attribute("href") or "").endswith(NAV_LINKS[name]), name
    expect(nav_link(page, "Household")).to_have_attribute("aria-current", "page")

    nav_link(page, "Notifications").click()

    expect(page).to_have_url(re.compile(r"/accounts/notifications/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Notifications"))
    expect(nav_link(page, "Notifications")).to_be_hidden()  # a new page: the menu is closed


@pytest.mark.usefixtures("staff_owner")
def test_on_a_desktop_the_nav_links_stay_in_the_bar(
    new_tab: Callable[..., Page], owner_cookies: dict[str, Any]
) -> None:
    page = new_tab(storage_state=owner_cookies, viewport={"width": 1280, "height": 800})
    page.goto("/accounts/household/")
    expect(page.locator("summary").filter(has_text=re.compile(r"^\s*Menu\s*$"))).to_be_hidden()
    bar = page.locator("header.topbar").bounding_box()
    assert bar is not None
    for name in NAV_LINKS:
        link = nav_link(page, name)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None
        assert bar["y"] <= box["y"], name
        assert box["y"] + box["height"] <= bar["y"] + bar["height"], name
    assert bar["height"] < 80, "the bar wrapped onto more lines"
    nav_link(page, "Notifications").click()
    expect(page).to_have_url(re.compile(r"/accounts/notifications/$"))
