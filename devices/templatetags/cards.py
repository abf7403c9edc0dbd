"""Tags for the card templates.

`readings` draws every reading the plugin declares (`DevicePlugin.readings`) that the device
has reported, with its label and unit: templates never repeat them. The tags are Python
functions rather than included templates because the realtime worker renders card bodies on
its hot path (devices.presentation.card_body) and an `{% include %}` costs ten times as much.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from devices.plugins.base import DevicePlugin
from devices.plugins.readings import Reading

register = template.Library()


@register.simple_tag
def readings(plugin: DevicePlugin, state: dict[str, Any], empty: str = "") -> SafeString:
    """`<dl class="readings">` of the reported readings; ``empty`` (escaped) when there is none.

    A reading never reported is left out; a card with none shows ``empty``, or nothing.
    """
    shown = plugin.card_readings(state or {})
    if not shown:
        return mark_safe(f'<p class="card__meta">{escape(empty)}</p>' if empty else "")  # noqa: S308
    rows = "\n".join(_row(r.key, r.label, r.text(value), r.unit) for r, value in shown)
    return mark_safe(f'<dl class="readings">\n{rows}\n</dl>')  # noqa: S308 (escaped in _row)


@register.simple_tag
def reading(key: str, label: str, value: Any, unit: str = "") -> SafeString:
    """One labelled value inside a `<dl class="readings">`, "" when there is no value.

    For third-party card templates; built-in ones declare readings and use `readings`.
    """
    if value is None:
        return mark_safe("")
    return mark_safe(_row(str(key), label, Reading(key, label).text(value), unit))  # noqa: S308


def _row(key: str, label: str, text: str, unit: str) -> str:
    """One reading's HTML; every piece is escaped here (stdlib escape: format_html costs as
    much again on the worker's hot path)."""
    key = escape(key)
    unit_html = f' <span class="reading__unit">{escape(unit)}</span>' if unit else ""
    return (
        f'<div class="reading reading--{key}">\n<dt class="reading__label">{escape(label)}</dt>\n'
        f'<dd class="reading__value"><span data-state-key="{key}">{escape(text)}</span>'
        f"{unit_html}</dd>\n</div>"
    )


@register.simple_tag
def summary(plugin: DevicePlugin, state: dict[str, Any]) -> str:
    """The plugin's one-line summary of the state ("On", "2 of 4 on"), escaped by the engine."""
    return plugin.summary(state or {})


@register.simple_tag
def group_members(group: Any) -> SafeString:
    """A group card's member list, by name, main device first ("" while not known)."""
    from devices.group_members import member_names  # models are ready once templates render

    names = member_names(group)
    if names is None:
        return mark_safe("")
    text = f"Members: {', '.join(names)}" if names else "No members this account sees"
    return mark_safe(f'<p class="card__meta card__members">{escape(text)}</p>')  # noqa: S308
