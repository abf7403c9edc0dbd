"""static/js/live.js against a scripted page socket: the protocol's corners, frame by frame.

The page is the real dashboard served by the stack; only its websocket is answered by the
test (Playwright's route_web_socket), so every frame, close and silence is under control.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, WebSocketRoute, expect

from realtime.events import PROTOCOL_VERSION
from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.browser


class FakeServer:
    """Plays the server end of /ws/household/ and records what the page sends."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sockets: list[WebSocketRoute] = []
        self.opened_at: list[float] = []
        self.received: list[dict[str, Any]] = []
        self.seq = 0

    def accept(self, ws: WebSocketRoute) -> None:
        self.sockets.append(ws)
        self.opened_at.append(time.monotonic())
        self.seq = 0
        ws.on_message(lambda message: self.received.append(json.loads(message)))

    def send(self, frame: dict[str, Any] | str) -> None:
        if isinstance(frame, dict):
            self.seq += 1
            frame = json.dumps({**frame, "seq": self.seq})
        self.sockets[-1].send(frame)

    def wait(self, check: Callable[[], Any], timeout: float = 3, what: str = "it") -> Any:
        """Let Playwright deliver events until `check()` is truthy."""
        deadline = time.monotonic() + timeout
        while not (result := check()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not happen within {timeout} s")
            self.page.wait_for_timeout(20)
        return result

    def sent(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.received if frame.get("type") == kind]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def card(page: Page, name: str) -> Locator:
    title = page.get_by_role("heading", name=name, exact=True)
    return page.locator("article[data-thing]").filter(has=title)


def thing_id(page: Page, name: str) -> str:
    return str(card(page, name).get_attribute("data-thing"))


def account_of(page: Page, name: str) -> int:
    """The linked account a card belongs to (drawn on the card by the server)."""
    return int(str(card(page, name).get_attribute("data-account")))


@pytest.fixture(scope="module")
def dashboard_html(browser: Browser, live_stack: LiveStack, owner_cookies: dict[str, Any]) -> str:
    """The owner's dashboard as Django rendered it, fetched once: these tests need its markup,
    not a fresh render each time (that is what test_dashboard_live covers)."""
    context = browser.new_context(base_url=live_stack.url, storage_state=owner_cookies)
    try:
        response = context.request.get("/")
        assert response.ok, response.status
        return response.text()
    finally:
        context.close()


@pytest.fixture
def fake(owner_tab: Page, dashboard_html: str) -> FakeServer:
    """The owner's dashboard with the page socket answered by the test."""
    server = FakeServer(owner_tab)
    owner_tab.route(
        lambda url: urlsplit(url).path == "/",
        lambda route: route.fulfill(body=dashboard_html, content_type="text/html; charset=utf-8"),
    )
    owner_tab.route_web_socket(re.compile(r"/ws/household/(\?.*)?$"), server.accept)
    owner_tab.goto("/")
    server.wait(lambda: server.sockets, what="the page socket")
    return server


@pytest.fixture
def page(fake: FakeServer) -> Page:
    return fake.page


def thermostat_body(temperature: str, humidity: str) -> str:
    """A card body as the server draws it (the script puts it in place, it never formats)."""
    return (
        '<dl class="readings">'
        '<div class="reading"><dt>Temperature</dt><dd>'
        f'<span data-state-key="temperature">{temperature}</span> °C</dd></div>'
        f'<div class="reading"><dt>Humidity</dt><dd><span data-state-key="humidity">{humidity}'
        "</span> %</dd></div></dl>"
    )


def status_html(online: bool, words: str) -> str:
    """A card's status line as the server draws it (badge and time in words)."""
    badge = "online" if online else "offline"
    return (
        f'<span class="badge badge--{badge}">{badge.title()}</span> '
        f'<time class="card__updated" datetime="2026-12-02T14:02:00+00:00">updated {words}</time>'
    )


def snapshot(page: Page, now: datetime, **overrides: Any) -> dict[str, Any]:
    """A snapshot of two cards: the Kitchen light (account 1) and the Hall thermostat (2)."""
    structure = int(page.locator('[data-fragment="sections"]').get_attribute("data-structure"))
    things = {
        thing_id(page, "Kitchen light"): {
            "state": {"switch": True, "rssi": -50},
            "online": True,
            "last_update": iso(now - timedelta(seconds=12)),
            "account": account_of(page, "Kitchen light"),
            "summary": "On",
            "status": status_html(True, "today 14:02"),
        },
        thing_id(page, "Hall thermostat"): {
            "state": {"temperature": 21.50, "humidity": 48.0},
            "online": False,
            "last_update": iso(now - timedelta(minutes=3)),
            "account": account_of(page, "Hall thermostat"),
            "summary": "21.5 °C",
            "body": thermostat_body("21.5", "48"),
            "status": status_html(False, "yesterday 09:10"),
        },
    }
    accounts = {
        str(account_of(page, name)): {"connection": "online", "status": "active"}
        for name in ("Kitchen light", "Garage light")
    }
    return {
        "type": "snapshot",
        "protocol": PROTOCOL_VERSION,
        "structure": structure,
        "household": 1,
        "things": things,
        "accounts": accounts,
        "server_time": iso(now),
        **overrides,
    }


def test_a_snapshot_patches_the_cards(page: Page, fake: FakeServer) -> None:
    expect(page.locator("[data-live-status]")).not_to_have_text("Live")  # nothing received yet

    fake.send(snapshot(page, datetime.now(UTC)))

    status = page.locator("[data-live-status]")
    expect(status).to_have_text("Live")
    expect(status).to_have_attribute("aria-live", "polite")
    kitchen, hall = card(page, "Kitchen light"), card(page, "Hall thermostat")
    expect(kitchen.get_by_role("button", name="Power")).to_have_attribute("aria-pressed", "true")
    # Words are the server's: the script puts the status line in place as it came.
    expect(kitchen.locator("[data-card-status]")).to_have_text("Online updated today 14:02")
    expect(hall.locator('[data-state-key="temperature"]')).to_have_text("21.5")
    expect(hall.locator('[data-state-key="humidity"]')).to_have_text("48")
    expect(hall.locator("[data-card-status] .badge")).to_have_text("Offline")
    expect(hall.locator("[data-card-status] .badge")).to_have_class(re.compile("badge--offline"))
    expect(hall).to_have_class(re.compile("card--offline"))
    expect(hall.locator("[data-card-status] time")).to_have_text("updated yesterday 09:10")
    expect(page.locator(".card--stale")).to_have_count(0)
    # The socket said which page it serves and what the page already shows.
    url = fake.sockets[-1].url
    assert "view=dashboard" in url
    assert "since=" in url


def test_a_thing_frame_patches_one_card_in_place(page: Page, fake: FakeServer) -> None:
    now = datetime.now(UTC)
    fake.send(snapshot(page, now))
    hall = card(page, "Hall thermostat")
    reading = hall.locator('[data-state-key="temperature"]')
    expect(reading).to_have_text("21.5")
    # The header and controls are patched in place: body and status line are the server's.
    hall.locator("header").evaluate("el => { el.marker = 'same node' }")
    hall.locator("[data-control]").first.evaluate("el => { el.marker = 'same node' }")
    frame = {
        "type": "thing",
        "id": int(thing_id(page, "Hall thermostat")),
        "state": {"temperature": 19.25, "humidity": 51.5},
        "online": True,
        "last_update": iso(now),
        "summary": "",
        "body": thermostat_body("19.25", "51.5"),
        "status": status_html(True, "today 15:30"),
    }
    fake.send(frame)

    expect(reading).to_have_text("19.25")
    expect(hall.locator('[data-state-key="humidity"]')).to_have_text("51.5")
    # The same body again is left alone (a value being read is not redrawn for nothing).
    reading.evaluate("el => { el.marker = 'same node' }")
    fake.send({**frame, "online": False, "status": status_html(False, "today 15:31")})
    expect(hall.locator("[data-card-status] .badge")).to_have_text("Offline")
    assert reading.evaluate("el => el.marker") == "same node"
    # A frame without a body (an older server) keeps the one shown.
    fake.send({key: value for key, value in frame.items() if key != "body"})
    expect(hall.locator("[data-card-status] .badge")).to_have_text("Online")
    expect(reading).to_have_text("19.25")

    assert hall.locator("header").evaluate("el => el.marker") == "same node"
    assert hall.locator("[data-control]").first.evaluate("el => el.marker") == "same node"
    expect(hall).not_to_have_class(re.compile("card--offline"))
    expect(hall.locator("[data-card-status] time")).to_have_text("updated today 15:30")
    # The other card was not touched.
    kitchen_status = card(page, "Kitchen light").locator("[data-card-status]")
    expect(kitchen_status).to_have_text("Online updated today 14:02")


def test_bad_frames_are_ignored_and_acks_keep_up(page: Page, fake: FakeServer) -> None:
    fake.send(snapshot(page, datetime.now(UTC)))
    for junk in ["not json {", "[1, 2]", "null", '"text"', json.dumps({"type": "future_kind"})]:
        fake.send(junk)
    kitchen_id = int(thing_id(page, "Kitchen light"))
    # 120 frames in a burst: the page acks every 50 frames, then the rest within a second.
    for n in range(120):
        fake.send(
            {
                "type": "thing",
                "id": kitchen_id,
                "state": {"switch": n % 2 == 0},
                "online": True,
                "last_update": iso(datetime.now(UTC)),
                "summary": "",
            }
        )
    last = fake.seq
    fake.wait(lambda: any(a["seq"] == last for a in fake.sent("ack")), 2.5, "the final ack")
    acks = [a["seq"] for a in fake.sent("ack")]
    assert acks == sorted(acks), acks
    assert len(acks) >= 2, f"acks were not sent every 50 frames: {acks}"
    assert acks[0] <= 51, f"acks were not sent every 50 frames: {acks}"
    # The frames after the junk were applied (the last one switched it off).
    power = card(page, "Kitchen light").get_by_role("button", name="Power")
    expect(power).to_have_attribute("aria-pressed", "false")
    expect(page.locator("[data-live-status]")).to_have_text("Live")


def test_an_account_offline_makes_its_cards_stale(page: Page, fake: FakeServer) -> None:
    fake.send(snapshot(page, datetime.now(UTC)))
    kitchen, garage = card(page, "Kitchen light"), card(page, "Garage light")  # two accounts
    kitchen_account = account_of(page, "Kitchen light")
    assert kitchen_account != account_of(page, "Garage light")
    expect(kitchen).not_to_have_class(re.compile("card--stale"))

    fake.send({"type": "account", "id": kitchen_account, "connection": "connecting",
               "status": "active"})  # fmt: skip

    expect(kitchen).to_have_class(re.compile("card--stale"))
    expect(kitchen.locator(".card__stale-hint")).to_be_visible()
    expect(kitchen.locator(".card__stale-hint")).to_contain_text("Stale")
    expect(garage).not_to_have_class(re.compile("card--stale"))

    fake.send({"type": "account", "id": kitchen_account, "connection": "online",
               "status": "needs_relink"})  # fmt: skip
    expect(kitchen.locator(".card__stale-hint")).to_contain_text("needs attention")

    fake.send({"type": "account", "id": kitchen_account, "connection": "online",
               "status": "active"})  # fmt: skip
    expect(kitchen).not_to_have_class(re.compile("card--stale"))
    expect(kitchen.locator(".card__stale-hint")).to_be_hidden()

    # A snapshot naming an account that is not online starts its cards stale.
    later = snapshot(page, datetime.now(UTC))
    later["accounts"][str(account_of(page, "Garage light"))]["connection"] = "offline"
    fake.send(later)
    expect(garage).to_have_class(re.compile("card--stale"))
    expect(kitchen).not_to_have_class(re.compile("card--stale"))


def test_a_control_shows_pending_then_the_reason_it_failed(page: Page, fake: FakeServer) -> None:
    fake.send(snapshot(page, datetime.now(UTC)))
    kitchen = card(page, "Kitchen light")
    power = kitchen.get_by_role("button", name="Power")
    expect(power).to_have_attribute("aria-pressed", "true")

    power.click()

    control = fake.wait(lambda: fake.sent("control"), what="a control frame")[0]
    assert control["thing"] == int(thing_id(page, "Kitchen light"))
    assert control["control"] == "switch"
    assert control["value"] is False  # the opposite of aria-pressed="true"
    assert isinstance(control["request"], str)
    assert control["request"]
    expect(kitchen).to_have_class(re.compile("card--pending"))
    expect(kitchen).to_have_attribute("aria-busy", "true")

    result = {"type": "control_result", "request": control["request"], "thing": control["thing"],
              "latency_ms": None}  # fmt: skip
    fake.send({**result, "status": "pending", "message": "Sending…"})
    page.wait_for_timeout(100)
    expect(kitchen).to_have_attribute("aria-busy", "true")
    fake.send({**result, "status": "offline", "message": "The device is not connected."})

    note = kitchen.locator(".card__note")
    expect(note).to_have_text("The device is not connected.")  # said once, in the server's words
    expect(note).to_have_attribute("role", "status")
    expect(kitchen).not_to_have_class(re.compile("card--pending"))
    expect(kitchen).not_to_have_attribute("aria-busy", "true")
    expect(note).to_have_text("", timeout=6000)  # it clears by itself


def test_it_reconnects_with_backoff_and_heals_on_the_snapshot(page: Page, fake: FakeServer) -> None:
    fake.send(snapshot(page, datetime.now(UTC)))
    status = page.locator("[data-live-status]")
    expect(status).to_have_text("Live")

    closed_at = time.monotonic()
    fake.sockets[-1].close(code=1011, reason="server restart")

    expect(status).to_have_text("Reconnecting…")
    expect(card(page, "Kitchen light")).to_have_class(re.compile("card--stale"))
    # Sockets that open but close before a snapshot: each wait is drawn from a doubling
    # window (0.5-1 s, then 1-2 s, …), so a restarted server is not stampeded.
    gaps = []
    for attempt, window in enumerate([(0.5, 1.0), (1.0, 2.0)], start=2):
        fake.wait(lambda n=attempt: len(fake.sockets) == n, window[1] + 1, f"reconnect {attempt}")
        gaps.append(fake.opened_at[-1] - closed_at)
        assert window[0] - 0.1 < gaps[-1] < window[1] + 0.5, (window, gaps)
        if attempt < 3:
            closed_at = time.monotonic()
            fake.sockets[-1].close(code=1011)
    expect(status).to_have_text("Reconnecting…")
    fake.send(snapshot(page, datetime.now(UTC)))
    expect(status).to_have_text("Live")
    expect(page.locator(".card--stale")).to_have_count(0)


def test_a_refused_socket_says_offline_and_stops_retrying(page: Page, fake: FakeServer) -> None:
    fake.send(snapshot(page, datetime.now(UTC)))

    fake.sockets[-1].close(code=4401, reason="signed out")  # the consumer's "not signed in"

    expect(page.locator("[data-live-status]")).to_have_text("Offline")
    page.wait_for_timeout(1500)
    assert len(fake.sockets) == 1, "it retried a socket the server refused"
    expect(card(page, "Kitchen light")).to_have_class(re.compile("card--stale"))


def test_a_held_input_is_not_overwritten_and_sends_on_change(page: Page, fake: FakeServer) -> None:
    fake.send(snapshot(page, datetime.now(UTC)))
    dimmer = card(page, "Living room dimmer")
    slider = dimmer.locator('input[data-kind="range"]').first
    key = str(slider.get_attribute("data-state-key"))
    dimmer_id = int(str(dimmer.get_attribute("data-thing")))
    slider.evaluate(
        "el => { el.value = 40; el.dispatchEvent(new Event('input', {bubbles: true})) }"
    )
    assert not fake.sent("control"), "a control was sent on input, before the change"
    slider.focus()

    fake.send({"type": "thing", "id": dimmer_id, "state": {key: 10}, "online": True,
               "last_update": iso(datetime.now(UTC)), "summary": ""})  # fmt: skip

    expect(dimmer.locator(f'span[data-state-key="{key}"]')).to_have_text("10")
    assert slider.input_value() == "40", "the value under the user's hand was replaced"
    slider.evaluate("el => el.blur()")
    expect(slider).to_have_value("10")  # applied once let go

    slider.evaluate(
        "el => { el.value = 70; el.dispatchEvent(new Event('change', {bubbles: true})) }"
    )
    control = fake.wait(lambda: fake.sent("control"), what="a control frame")[0]
    assert control["value"] == 70
    assert isinstance(control["value"], int | float)
    assert control["control"] == slider.get_attribute("data-control")


# ---- fragments: the layout changes --------------------------------------------------------


def room_html(key: str, order: str, title: str, inner: str = "") -> str:
    return (
        f'<section class="room" data-fragment="{key}" data-order="{order}" '
        f'aria-labelledby="{key}-title"><h3 id="{key}-title" class="room__title">{title}</h3>'
        f"{inner or '<p class=muted>Nothing in this room.</p>'}</section>"
    )


def fragment(key: str, parent: str, order: str, html: str | None, structure: int = 99) -> dict:
    return {"type": "fragment", "key": key, "parent": parent, "order": order, "html": html,
            "structure": structure}  # fmt: skip


def test_fragments_add_replace_and_remove_rooms_in_order(page: Page, fake: FakeServer) -> None:
    fake.send(snapshot(page, datetime.now(UTC)))
    home = card(page, "Kitchen light").locator("xpath=ancestor::section[contains(@class, 'home')]")
    home_key = str(home.get_attribute("data-fragment"))
    rooms = home.locator(":scope > section.room")
    orders = [str(o) for o in rooms.evaluate_all("els => els.map(e => e.dataset.order)")]
    # A new room that sorts between the first two, then one that sorts last.
    between = orders[0] + "~"
    fake.send(fragment("room-9001", home_key, between, room_html("room-9001", between, "Attic")))
    fake.send(fragment("room-9002", home_key, "1~~~~", room_html("room-9002", "1~~~~", "Shed")))
    titles = rooms.locator(".room__title")
    expect(titles.nth(1)).to_have_text("Attic")
    attic, shed = (
        page.locator('[data-fragment="room-9001"]'),
        page.locator('[data-fragment="room-9002"]'),
    )
    expect(shed).to_be_visible()
    # Every room of the home is where its order puts it ("No room" stays last).
    placed = rooms.evaluate_all("els => els.map(e => e.dataset.order)")
    assert placed == sorted(placed), placed
    # A redraw replaces it in place; a removal takes it away.
    fake.send(fragment("room-9001", home_key, between, room_html("room-9001", between, "Loft")))
    expect(attic.locator(".room__title")).to_have_text("Loft")
    expect(titles.nth(1)).to_have_text("Loft")
    fake.send(fragment("room-9002", home_key, "", None))
    expect(shed).to_have_count(0)
    # One whose parent is not on this page (another room filter) is left out, not an error.
    fake.send(fragment("room-9003", "home-424242", "1", room_html("room-9003", "1", "Gone")))
    fake.send(snapshot(page, datetime.now(UTC)))
    expect(page.locator('[data-fragment="room-9003"]')).to_have_count(0)
    expect(page.locator("[data-live-status]")).to_have_text("Live")


def test_a_redraw_waits_while_a_control_in_it_is_held(page: Page, fake: FakeServer) -> None:
    fake.send(snapshot(page, datetime.now(UTC)))
    dimmer = card(page, "Living room dimmer")
    room = dimmer.locator("xpath=ancestor::section[contains(@class, 'room')]")
    key = str(room.get_attribute("data-fragment"))
    parent = str(room.locator("xpath=..").get_attribute("data-fragment"))
    slider = dimmer.locator('input[data-kind="range"]').first
    slider.focus()

    fake.send(fragment(key, parent, "1", room_html(key, "1", "Lounge")))

    page.wait_for_timeout(300)
    expect(room.locator(".room__title")).not_to_have_text("Lounge")  # not under the user's hand
    slider.evaluate("el => el.blur()")
    expect(page.locator(f'[data-fragment="{key}"] .room__title')).to_have_text("Lounge")


def test_a_page_of_an_older_deploy_reloads_itself(page: Page, fake: FakeServer) -> None:
    page.evaluate("window.notReloaded = true")
    fake.send({**snapshot(page, datetime.now(UTC)), "protocol": PROTOCOL_VERSION + 1})
    fake.wait(lambda: len(fake.sockets) == 2, what="the reloaded page's socket")
    assert page.evaluate("window.notReloaded === undefined")


def test_a_page_that_missed_a_structure_change_redraws_its_sections(
    page: Page, fake: FakeServer
) -> None:
    sections = page.locator('[data-fragment="sections"]')
    sections.evaluate("el => { el.marker = 'old drawing' }")
    page.evaluate("window.notReloaded = true")
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    ahead = int(str(sections.get_attribute("data-structure"))) + 1
    fake.send({**snapshot(page, datetime.now(UTC)), "structure": ahead})

    fake.wait(lambda: sections.evaluate("el => el.marker") is None, what="the redraw")
    assert any(urlsplit(url).path == "/" for url in fetched), fetched
    assert page.evaluate("window.notReloaded === true"), "it reloaded instead of redrawing"
    expect(card(page, "Kitchen light")).to_be_visible()
    assert len(fake.sockets) == 1


def test_it_says_when_live_updates_are_unavailable_and_when_they_are_back(
    page: Page, fake: FakeServer
) -> None:
    status = page.locator("[data-live-status]")
    kitchen = card(page, "Kitchen light")
    # No realtime worker runs: connected, but nothing live to show.
    fake.send(snapshot(page, datetime.now(UTC), live_updates=False))
    expect(status).to_have_text("Live updates unavailable")
    expect(status).to_have_attribute("data-state", "unavailable")
    expect(kitchen.locator(".card__stale-hint")).to_have_text("Stale · live updates unavailable")

    fake.send({"type": "live_updates", "available": True})  # one started again
    expect(status).to_have_text("Live")
    expect(page.locator(".card--stale")).to_have_count(0)

    fake.send({"type": "live_updates", "available": False})  # and stopped
    expect(status).to_have_text("Live updates unavailable")
    expect(kitchen).to_have_class(re.compile("card--stale"))


def test_a_snapshot_in_parts_is_applied_as_one(page: Page, fake: FakeServer) -> None:
    """A large household's snapshot: its things in snapshot_part frames, then the rest."""
    whole = snapshot(page, datetime.now(UTC))
    things = list(whole["things"].items())
    fake.send({"type": "snapshot_part", "things": dict(things[:1])})
    page.wait_for_timeout(100)
    expect(page.locator("[data-live-status]")).not_to_have_text("Live")  # not before the end
    fake.send({**whole, "things": dict(things[1:]), "parts": 1})
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    power = card(page, "Kitchen light").get_by_role("button", name="Power")
    expect(power).to_have_attribute("aria-pressed", "true")  # from the part
    hall = card(page, "Hall thermostat")
    expect(hall.locator('[data-state-key="temperature"]')).to_have_text("21.5")  # the rest


def test_a_batch_frame_applies_each_thing_frame_in_order(page: Page, fake: FakeServer) -> None:
    now = datetime.now(UTC)
    fake.send(snapshot(page, now))
    kitchen, hall = thing_id(page, "Kitchen light"), thing_id(page, "Hall thermostat")

    def hall_frame(temperature: str) -> dict[str, Any]:
        return {
            "type": "thing",
            "id": int(hall),
            "state": {"temperature": float(temperature), "humidity": 50.0},
            "online": True,
            "last_update": iso(now),
            "summary": f"{temperature} °C",
            "body": thermostat_body(temperature, "50"),
            "status": status_html(True, "just now"),
        }

    kitchen_off = {
        "type": "thing", "id": int(kitchen), "state": {"switch": False}, "online": True,
        "last_update": iso(now), "summary": "Off", "status": status_html(True, "just now"),
    }  # fmt: skip
    fake.send(
        {"type": "batch", "frames": [hall_frame("22.0"), kitchen_off, hall_frame("23.5")],
         "merged": 2}
    )  # fmt: skip
    power = card(page, "Kitchen light").get_by_role("button", name="Power")
    expect(power).to_have_attribute("aria-pressed", "false")
    reading = card(page, "Hall thermostat").locator('[data-state-key="temperature"]')
    expect(reading).to_have_text("23.5")  # the last of the two, in order
    # The batch counted as one frame: the page acks its seq like any other.
    fake.wait(lambda: any(f["seq"] >= 2 for f in fake.sent("ack")), 3, "an ack of the batch")
    # Other frames still work after a batch.
    fake.send({"type": "notification", "id": 1, "kind": "x", "title": "t", "unread": 3})
    expect(page.locator("[data-unread-count]")).to_have_text("3")
