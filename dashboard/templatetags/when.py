"""`{% load when %}`: moments in words in the household's zone (see `dashboard.when`).

``{{ note.created_at|when }}`` on pages rendered on request ("3 min ago", "today 14:02");
``{{ state.triggered_at|when_absolute }}`` inside card bodies, which are cached and sent
once, so they never say "3 min ago"; ``{{ value|moment }}`` parses a cloud timestamp into a
datetime (None when unreadable), for ``<time datetime="…">`` and tests in templates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from dashboard.when import in_words, parse_moment

register = template.Library()


@register.filter
def when(value: Any) -> str:
    """ "just now", "3 min ago", "today 14:02" … ; "" for what is not a moment."""
    return in_words(value)


@register.filter
def when_absolute(value: Any) -> str:
    """ "today 14:02", "yesterday 09:10" … : words that stay true all day."""
    return in_words(value, relative=False)


@register.filter
def moment(value: Any) -> datetime | None:
    """A datetime from a datetime, an ISO string or an epoch number; None if unreadable."""
    return parse_moment(value)
