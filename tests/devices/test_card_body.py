"""A card body drawn from `_TemplateState` (devices.presentation) is the one Django draws from
the plain state dict, for every built-in card template, with keys present and missing."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Engine
from hypothesis import given
from hypothesis import strategies as st

from devices import presentation
from devices.plugins.registry import default_registry

BLANK_LINES = re.compile(r"\s*\n\s*")
SAMPLE = {
    "switch": True, "temperature": 21.5, "humidity": 45.0, "battery": 80.0, "power": 12.5,
    "heating": True, "auto": False, "motion": True, "detected": False, "color": "#ff0000",
    "fields": [], "last_button": 1, "water_empty": True, "position": 50,
}  # fmt: skip


def _plain_body(template_name: str, state: dict, plugin) -> str:  # type: ignore[no-untyped-def]
    template = Engine.get_default().get_template(template_name)
    nodelist = presentation._body_block(template)
    if nodelist is None:
        return ""
    context = Context({"state": state, "plugin": plugin}, autoescape=True)
    with context.render_context.push_state(template), context.bind_template(template):
        html = nodelist.render(context).strip()
    return BLANK_LINES.sub("\n", html)  # the rule, as a regex: the worker's way is quicker


@given(st.text(alphabet=" \n\t\r\x0b\x0c\x1c\x85\xa0\u2028\u3000ab<>", max_size=40))
def test_blank_lines_go_as_the_regex_says(text: str) -> None:
    text = text.strip()
    assert presentation.without_blank_lines(text) == BLANK_LINES.sub("\n", text)


@pytest.mark.parametrize("uiid", sorted(default_registry.uiid_table()))
def test_the_body_is_the_one_drawn_from_the_plain_state(uiid: int) -> None:
    plugin = default_registry.plugin_for(uiid, {})
    reported = plugin.state({}, {})
    for state in ({}, reported, {**reported, **SAMPLE}, dict.fromkeys(SAMPLE)):
        drawn = presentation._render_body(plugin.card_template, state, plugin)
        assert drawn == _plain_body(plugin.card_template, state, plugin)


def test_a_missing_key_is_not_looked_for_among_the_dicts_methods() -> None:
    state = presentation._TemplateState({"switch": True})
    assert dir(state) == []
    assert state == {"switch": True}
