"""Every plugin's card renders with Django's template engine and exposes its data attributes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from devices.plugins.base import DevicePlugin
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
    context = {
        "thing": thing(**thing_overrides),
        "state": plugin.state(params, tags),
        "controls": plugin.controls(params, tags),
        "plugin": plugin,
    }
    return render_to_string(plugin.card_template, context)


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
    assert any(a.get("data-state-key") == "last_update" for tag, a in found if tag == "time")
    assert any(a.get("data-state-key") == "online" for _tag, a in found)
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
    assert "None" not in html, "missing values are shown as a dash, not as None"


def test_state_values_are_marked_for_live_updates() -> None:
    from devices.plugins import registry

    power = registry.plugin_for(32)
    html = render(power, {"switch": "on", "power": "68.79"}, {})
    assert re.search(r'<span data-state-key="power">68.79</span>', html)
    sensor = registry.plugin_for(3026)
    assert 'data-state-key="status" role="status">Open<' in render(sensor, {"lock": 1}, {})
    generic = registry.plugin_for(424242, {"mystery": 1})
    assert "<code>1</code>" in render(generic, {"mystery": 1}, {})
