"""Readings are declared once, in the plugin, and cards draw them from that declaration."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template

from devices.plugins import registry
from devices.plugins.base import DevicePlugin
from devices.plugins.readings import Reading
from devices.presentation import card_body
from tests.devices.plugins.conftest import plugin_id, plugin_instances

PLUGINS = plugin_instances()
WITH_READINGS = [p for p in PLUGINS if any(r.card for r in p.readings)]
CARDS = Path(__file__).resolve().parents[3] / "devices" / "templates" / "devices" / "cards"


def sample(reading: Reading, n: int) -> Any:
    """A value for ``reading`` that no other reading of the card shows."""
    return reading.words[-1][0] if reading.words else 10.25 + n


def row(body: str, key: str) -> str | None:
    found = re.search(rf'<div class="reading reading--{re.escape(key)}">.*?</div>', body, re.S)
    return found.group(0) if found else None


def test_most_kinds_declare_readings() -> None:
    kinds = {p.card_template.rsplit("/", 1)[-1] for p in WITH_READINGS}
    assert kinds >= {"climate.html", "meter.html", "sensor.html", "cover.html", "valve.html",
                     "humidifier.html", "fan.html"}  # fmt: skip


@pytest.mark.parametrize("plugin", WITH_READINGS, ids=plugin_id)
def test_every_declared_reading_renders_with_its_label_and_unit(plugin: DevicePlugin) -> None:
    shown = [r for r in plugin.readings if r.card]
    state = {r.key: sample(r, n) for n, r in enumerate(plugin.readings)}

    body = card_body(plugin, state)

    for n, reading in enumerate(plugin.readings):
        html = row(body, reading.key)
        if not reading.card:
            assert html is None, f"{reading.key} is kept for charts, not shown"
            continue
        assert html is not None, f"{plugin.card_template} draws {reading.key}"
        assert f'<dt class="reading__label">{escape(reading.label)}</dt>' in html
        text = reading.text(sample(reading, n))
        assert f'<span data-state-key="{reading.key}">{escape(text)}</span>' in html
        if reading.unit:
            assert f'<span class="reading__unit">{escape(reading.unit)}</span>' in html
        else:
            assert "reading__unit" not in html
    keys = re.findall(r'class="reading reading--(\w+)"', body)
    assert keys == [r.key for r in shown], "in the declared order, each once"


@pytest.mark.parametrize("plugin", WITH_READINGS, ids=plugin_id)
def test_a_reading_never_reported_is_not_shown(plugin: DevicePlugin) -> None:
    first, *others = [r for r in plugin.readings if r.card]
    for state in ({}, {r.key: None for r in plugin.readings}):
        body = card_body(plugin, state)
        assert "reading--" not in body
        assert "\u2013" not in body, "no dash for a missing value"
        assert "None" not in body
    body = card_body(plugin, {first.key: sample(first, 0), **{r.key: None for r in others}})
    assert row(body, first.key) is not None
    for reading in others:
        assert row(body, reading.key) is None
        assert f">{escape(reading.label)}<" not in body or reading.label == first.label


def test_the_example_meter_shows_what_it_reported_and_nothing_else() -> None:
    fridge = registry.plugin_for(190)  # POWR3: reports power, voltage, current; no energy yet
    params = {"switches": [{"switch": "on", "outlet": 0}], "power": 8650, "voltage": 23010}
    body = card_body(fridge, fridge.state(params, {}))
    assert re.findall(r"reading--(\w+)", body) == ["power", "voltage"]
    assert "kWh" not in body
    assert "\u2013" not in body


def test_labels_and_units_are_written_only_in_plugins() -> None:
    for template in CARDS.glob("*.html"):
        source = template.read_text()
        assert "{% reading " not in source, f"{template.name} repeats a plugin's reading"
        for unit in ("°C", "kWh", "µg/m³", ">W<", '"W"', '"%"', "lx"):
            assert unit not in source, f"{template.name} writes the unit {unit}"


def test_cards_without_any_reading_say_so_only_where_it_helps() -> None:
    climate = registry.plugin_for(1770)  # a sensor and nothing else: an empty card says nothing
    assert card_body(climate, climate.state({}, {})) == '<p class="card__meta">No readings yet</p>'
    meter = registry.plugin_for(32)  # its power toggle is the card
    assert card_body(meter, meter.state({"switch": "on"}, {})) == ""
    generic = registry.plugin_for(424242, {})
    assert "No readings yet" in card_body(generic, generic.state({"empty": None}, {}))


def test_per_channel_meters_show_power_per_channel_and_one_voltage() -> None:
    panel = registry.plugin_for(130)
    params = {f"actPow_0{o}": 100 * o for o in range(4)} | {
        f"voltage_0{o}": 23000 for o in range(4)
    } | {f"current_0{o}": 50 for o in range(4)}  # fmt: skip
    body = card_body(panel, panel.state(params, {}))
    keys = re.findall(r"reading--(\w+)", body)
    assert keys == ["power_1", "voltage_1", "power_2", "power_3", "power_4"]
    assert '<dt class="reading__label">Voltage</dt>' in body


def test_a_dual_relay_shows_its_position_only_as_a_cover() -> None:
    dual = registry.plugin_for(126)
    cover = {"workMode": 2, "currLocation": 40}
    assert row(card_body(dual, dual.state(cover, {})), "position") is not None
    relay = {"workMode": 1, "switches": [{"switch": "on", "outlet": 0}]}
    assert row(card_body(dual, dual.state(relay, {})), "position") is None


def test_coded_values_are_shown_in_words() -> None:
    fan = registry.plugin_for(17)
    assert '<span data-state-key="speed">Moderate</span>' in card_body(fan, {"speed": "moderate"})
    assert "Speed" not in card_body(fan, {"speed": None})


def test_the_body_cache_tells_plugins_of_one_template_apart() -> None:
    # Both draw climate.html; only the SC declares "light" (a level out of 10).
    sc, th = registry.plugin_for(18), registry.plugin_for(1770)
    state = {"temperature": 21.0, "light": 7.0}
    assert "Light level" in card_body(sc, state)
    assert "Light level" not in card_body(th, state)
    assert "Light level" in card_body(sc, state)


def test_the_body_cache_tells_zones_apart() -> None:
    door = registry.plugin_for(3026)
    state = door.state({"lock": 0, "trigTime": "1764093600000"}, {})  # 25 Nov 2025 18:00 UTC
    assert ">25 Nov 2025<" in card_body(door, state, tz="UTC")
    assert 'datetime="2025-11-26T03:00:00+09:00"' in card_body(door, state, tz="Asia/Tokyo")
    assert 'datetime="2025-11-25T18:00:00+00:00"' in card_body(door, state, tz="UTC")


def test_body_times_follow_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    door = registry.plugin_for(3026)
    state = door.state({"lock": 1, "trigTime": "1796205600000"}, {})  # 2 Dec 2026 10:00 UTC
    clock = {"now": datetime(2026, 12, 2, 12, 0, tzinfo=UTC)}
    monkeypatch.setattr("django.utils.timezone.now", lambda: clock["now"])
    assert ">today 11:00<" in card_body(door, state, tz="Europe/Berlin")
    clock["now"] = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert ">yesterday 11:00<" in card_body(door, state, tz="Europe/Berlin"), "not a stale body"
    assert ">yesterday 10:00<" in card_body(door, state, tz="UTC")


def test_the_reading_tag_for_third_party_templates_leaves_out_none() -> None:
    template = Template('{% load cards %}{% reading "power" "Power" value "W" %}')
    assert template.render(Context({"value": None})) == ""
    html = template.render(Context({"value": 12.5}))
    assert '<span data-state-key="power">12.5</span> <span class="reading__unit">W</span>' in html


def test_readings_escape_what_they_draw() -> None:
    class Odd(DevicePlugin):
        key, label, uiids = "odd", "Odd", frozenset()
        card_template = "devices/cards/meter.html"
        readings = (Reading("x", "<b>X</b>", "<i>u</i>"),)

    html = Template("{% load cards %}{% readings plugin state %}").render(
        Context({"plugin": Odd(), "state": {"x": "<script>"}})
    )
    assert "<b>" not in html
    assert "<script>" not in html
    assert "&lt;b&gt;X&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html
