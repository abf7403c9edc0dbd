"""Every plugin's card renders with Django's template engine and exposes its data attributes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from devices.plugins.base import DevicePlugin
from devices.presentation import Card, card_body
from tests.devices.plugins.conftest import plugin_id, plugin_instances

PLUGINS = plugin_instances()


class Elements(HTMLParser):
    """Collects (tag, attributes) of every start tag."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def thing(**overrides: object) -> SimpleNamespace:
    values = {
        "pk": 42,
        "name": "Kitchen <lamp>",
        "online": True,
        "cloud_id": "1000abcdef",
        "room": "Kitchen",
        "last_update": datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
    }
    return SimpleNamespace(**{**values, **overrides})


def render(plugin: DevicePlugin, params: dict, tags: dict, **thing_overrides: object) -> str:
    state, controls = plugin.state(params, tags), plugin.controls(params, tags)
    return Card(thing(**thing_overrides), plugin, state, controls).render()  # type: ignore[arg-type]


@pytest.mark.parametrize("plugin", PLUGINS, ids=plugin_id)
def test_card_renders_with_data_attributes(plugin: DevicePlugin) -> None:
    params, tags = plugin.example_params, plugin.example_tags
    html = render(plugin, params, tags)
    found = elements(html)
    root_tag, root = found[0]
    assert root_tag == "article"
    assert root["data-thing"] == "42"
    assert "card" in (root["class"] or "").split()
    assert "Kitchen &lt;lamp&gt;" in html, "names are escaped"
    # The status line (badge and time) is drawn by the server, here and in live events.
    assert any("data-card-status" in a for _tag, a in found)
    assert any("badge--online" in (a.get("class") or "") for _tag, a in found)
    assert any(tag == "time" and a.get("datetime") for tag, a in found)
    controls = {a["data-control"]: (tag, a) for tag, a in found if a.get("data-control")}
    for control in plugin.controls(params, tags):
        tag, attrs = controls[control.name]
        assert attrs["data-kind"] == control.kind
        if control.kind == "toggle":
            assert tag == "button"
            expected = {True: "true", False: "false", None: "mixed"}[control.value]
            assert attrs["aria-pressed"] == expected
        if control.kind in ("range", "number", "select", "color"):
            assert re.search(rf'<label[^>]*for="{attrs["id"]}"', html), "inputs are labelled"
    ids = [a["id"] for _tag, a in found if a.get("id")]
    assert len(ids) == len(set(ids)), "ids are unique within a card"
    assert "<script" not in html
    assert " style=" not in html
    assert " onclick=" not in html


@pytest.mark.parametrize("plugin", PLUGINS, ids=plugin_id)
def test_card_renders_an_empty_offline_thing(plugin: DevicePlugin) -> None:
    html = render(plugin, {}, {}, online=False, room=None, last_update=None)
    assert "card--offline" in html
    assert "Offline" in html
    assert "Never updated" in html
    assert "None" not in html, "missing values are left out, not shown as None"
    body = card_body(plugin, plugin.state({}, {}))
    assert "\u2013" not in body, "nor as a dash"


def test_state_values_are_marked_for_live_updates() -> None:
    from devices.plugins import registry

    power = registry.plugin_for(32)
    html = render(power, {"switch": "on", "power": "68.79"}, {})
    assert re.search(r'<span data-state-key="power">68.79</span>', html)
    sensor = registry.plugin_for(3026)
    assert 'data-state-key="status" role="status">Open<' in render(sensor, {"lock": 1}, {})
    generic = registry.plugin_for(424242, {"mystery": 1})
    assert '<dt class="reading__label">mystery</dt><dd class="reading__value">1</dd>' in render(
        generic, {"mystery": 1}, {}
    )


@pytest.mark.parametrize("plugin", PLUGINS, ids=plugin_id)
def test_the_live_body_is_the_body_of_the_page(plugin: DevicePlugin) -> None:
    """What a thing event carries is exactly what a reload draws (one implementation)."""
    params, tags = plugin.example_params, plugin.example_tags
    body = card_body(plugin, plugin.state(params, tags))
    html = render(plugin, params, tags)
    assert f'<div class="card__body" data-card-body>{body}</div>' in html
    assert "<article" not in body
    assert "data-control" not in body, "controls are patched in place, never redrawn"


def test_alert_styling_is_drawn_by_the_server() -> None:
    from devices.plugins import registry

    leak, door = registry.plugin_for(4026), registry.plugin_for(102)
    assert 'card__status--alert" data-state-key="status" role="status">Leak!<' in card_body(
        leak, leak.state({"water": 1}, {})
    )
    assert "card__status--alert" not in card_body(leak, leak.state({"water": 0}, {}))
    assert ">Open<" in card_body(door, door.state({"switch": "on"}, {}))
    assert "card__status--alert" in card_body(door, door.state({"switch": "on"}, {}))
    assert "card__status--alert" not in card_body(door, door.state({"switch": "off"}, {}))
    # Numbers as Python's "%g"; a value never reported is left out, not shown as a dash.
    meter = registry.plugin_for(32)
    assert ">1.2e-05<" in card_body(meter, {"power": 0.000012})
    assert ">1.23457e+06<" in card_body(meter, {"power": 1234567.0})
    assert ">20<" in card_body(meter, {"power": 20.0})
    assert card_body(meter, {"power": None}) == ""


def test_known_raw_params_get_words_and_units() -> None:
    from devices.plugins import registry

    params = {"fwVersion": "1.2.0", "rssi": -55, "sledOnline": "on", "zled": "off", "mystery": 3}
    bridge = registry.plugin_for(168, params)
    body = card_body(bridge, bridge.state(params, {}))
    shown = [("Firmware", "1.2.0"), ("Wi-Fi signal", "-55 dBm"), ("Network light", "On"),
             ("Zigbee light", "Off"), ("mystery", "3")]  # fmt: skip
    for label, text in shown:
        assert f'>{label}</dt><dd class="reading__value">{text}</dd>' in body
    for raw in ("fwVersion", "rssi", "sledOnline", "zled"):
        assert raw not in body


def test_a_body_shows_times_in_the_zone_it_is_drawn_for() -> None:
    """Drawn for the current zone (no switch) or for another one (switched, then back)."""
    from django.utils import timezone

    from devices.plugins import registry

    door = registry.plugin_for(3026, {"switch": "on"})
    instant = datetime.now(UTC).replace(hour=12, minute=34, second=0, microsecond=0)
    state = door.state({"switch": "on", "trigTime": str(int(instant.timestamp() * 1000))}, {})
    with timezone.override("UTC"):
        assert "12:34" in card_body(door, state)  # the current zone
        assert "12:34" in card_body(door, state, tz="UTC")
        tokyo = card_body(door, state, tz="Asia/Tokyo")
        assert "21:34" in tokyo
        assert "12:34" not in tokyo
        assert str(timezone.get_current_timezone()) == "UTC"  # switched back after
