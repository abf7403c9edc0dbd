"""Tags for the card templates.

`reading` draws one labelled value. It is a Python function rather than an included template
because the realtime worker renders card bodies on its hot path (devices.presentation.card_body)
and an `{% include %}` costs ten times as much.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

NO_VALUE = "\u2013"  # an en dash: the typographic "no value"


@register.simple_tag
def reading(key: str, label: str, value: Any, unit: str = "") -> SafeString:
    """A labelled value inside a `<dl class="readings">`; numbers as Python's "%g"."""
    if value is None:
        text = NO_VALUE
    elif isinstance(value, float | int) and not isinstance(value, bool):
        text = f"{value:g}"
    else:
        text = str(value)
    key, unit_html = escape(str(key)), f' <span class="reading__unit">{escape(unit)}</span>'
    # Every piece is escaped above or here (stdlib escape: format_html costs as much again).
    return mark_safe(  # noqa: S308
        f'<div class="reading reading--{key}">\n<dt class="reading__label">{escape(label)}</dt>\n'
        f'<dd class="reading__value"><span data-state-key="{key}">{escape(text)}</span>'
        f"{unit_html if unit else ''}</dd>\n</div>"
    )
