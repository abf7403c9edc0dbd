"""A timeline's rows as HTML, drawn in Python: the logbook's first page draws 50 of them per
request, and the template engine cost more than all the page's queries together.

Every value goes through `format_html` (escaped); the markup is the one the page script and
the tests find rows by (data-entry, data-cursor, data-kind, data-older).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from logbook.timeline import Entry


def row(entry: Entry, show_who: bool) -> SafeString:
    at = timezone.localtime(entry.at)
    parts = [
        format_html(
            '<time datetime="{}">{}</time>', at.isoformat(), date_format(at, "j M Y H:i:s")
        ),
        format_html(' <span class="badge logbook-kind">{}</span>', entry.kind_label),
    ]
    if entry.thing_name:
        parts.append(format_html(" <strong data-entry-device>{}</strong>", entry.thing_name))
    parts.append(format_html(" <span data-entry-what>{}</span>", entry.what))
    if show_who and entry.who:
        parts.append(format_html(" <span data-entry-who>by {}</span>", entry.who))
    if entry.via:
        parts.append(format_html(' <small class="muted" data-entry-via>via {}</small>', entry.via))
    if entry.result:
        parts.append(format_html(" <small data-entry-result>— {}</small>", entry.result))
    thing = format_html(' data-entry-thing="{}"', entry.thing_id) if entry.thing_id else ""
    return format_html(
        '<li class="logbook-line" data-entry data-cursor="{}" data-kind="{}"{}>{}</li>\n',
        entry.cursor, entry.kind, thing, mark_safe("".join(parts)),  # noqa: S308 - each part escaped
    )  # fmt: skip


def rows(entries: Iterable[Entry], show_who: bool, next_url: str = "") -> SafeString:
    """The rows, then (when there are older ones) the row that fetches them as it scrolls
    into view (htmx), or by its link without script."""
    html = "".join(row(entry, show_who) for entry in entries)
    if next_url:
        html += format_html(
            '<li class="logbook-more" data-older hx-get="{}" hx-trigger="revealed" '
            'hx-swap="outerHTML"><a href="{}">Older entries</a></li>',
            next_url, next_url,
        )  # fmt: skip
    return mark_safe(html)  # noqa: S308 - built from format_html pieces only
