"""The household logbook page, its exports, and a thing's history panel (thin: the work is in
logbook.timeline, logbook.filters and logbook.export)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import household_object
from accounts.models import Membership, Role
from accounts.views import household_required
from dashboard.live_page import live_context
from devices.models import Home, Room, Thing, ThingKind
from devices.tasks import sync_history_for_account
from logbook import export, timeline
from logbook.filters import Parsed, parse
from logbook.rows import rows
from logbook.timeline import KIND_LABELS, Cursor, visible_kinds

THING_KINDS = ("device", "command")  # a thing's history panel: the cloud's and the dashboard's


def _parsed(request: HttpRequest) -> Parsed:
    return parse(request.GET, request.membership, request.household.zone)  # type: ignore[attr-defined]


def _query(request: HttpRequest) -> str:
    """The filters of the request, without its place in the timeline."""
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    return query.urlencode()


def _rows(request: HttpRequest, parsed: Parsed, url: str) -> dict[str, Any]:
    """The entries a request asks for: newer than `after` (live), else a page before `before`."""
    household_id = request.membership.household_id  # type: ignore[attr-defined]
    after = Cursor.decode(request.GET.get("after", ""))
    if after is not None:
        entries = timeline.newer(household_id, parsed.filters, after, show_who=parsed.show_who)
        return {"entries": entries, "rows_html": rows(entries, parsed.show_who)}
    before = Cursor.decode(request.GET.get("before", ""))
    page = timeline.page(household_id, parsed.filters, show_who=parsed.show_who, before=before)
    query = _query(request)
    next_url = f"{url}?{query}&before={page.next_cursor}" if page.more else ""
    return {"entries": page.entries, "rows_html": rows(page.entries, parsed.show_who, next_url)}


@household_required
def logbook_page(request: HttpRequest) -> HttpResponse:
    parsed = _parsed(request)
    context = _rows(request, parsed, reverse("logbook:logbook"))
    context["show_who"] = parsed.show_who
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "logbook/_rows.html", context)
    for error in parsed.errors:
        messages.error(request, error)
    membership: Membership = request.membership  # type: ignore[attr-defined]
    query = _query(request)
    context.update(
        chosen=request.GET,
        chosen_kinds=request.GET.getlist("kind"),
        kinds=[(kind, KIND_LABELS[kind]) for kind in visible_kinds(membership.role)],
        homes=_choices(Home, membership, parsed.filters.home),
        rooms=_choices(Room, membership, parsed.filters.room),
        things=_choices(Thing, membership, parsed.filters.thing),
        people=_people(membership, parsed.filters.person) if parsed.show_who else [],
        query=query,
        newer_url=f"{reverse('logbook:logbook')}?{query}",
        **live_context(request),
    )
    return render(request, "logbook/page.html", context)


def _choices(model: Any, membership: Membership, chosen: int | None) -> list[tuple[int, str, bool]]:
    """(pk, name, selected) of a filter's options: two columns, not whole rows."""
    rows = model.objects.filter(household_id=membership.household_id).order_by("name", "pk")
    return [(pk, name, pk == chosen) for pk, name in rows.values_list("pk", "name")]


def _people(membership: Membership, chosen: int | None) -> list[tuple[int, str, bool]]:
    rows = Membership.objects.filter(household_id=membership.household_id).order_by("user__email")
    found = rows.values_list("user_id", "user__email", "user__username")
    return [(pk, email or name, pk == chosen) for pk, email, name in found]


@household_required
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    return _export(request, export.csv_lines, "text/csv; charset=utf-8", "csv")


@household_required
def export_json(request: HttpRequest) -> StreamingHttpResponse:
    return _export(request, export.json_lines, "application/json", "json")


def _export(request: HttpRequest, lines: Any, content_type: str, ext: str) -> StreamingHttpResponse:
    parsed = _parsed(request)
    household_id = request.membership.household_id  # type: ignore[attr-defined]
    # The querysets are built here, in the request's household scope; rows are read later.
    entries = timeline.everything(household_id, parsed.filters, show_who=parsed.show_who)
    chunks = export.batched(lines(entries))
    body = export.as_async(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(body, content_type=content_type)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="logbook-{stamp}.{ext}"'
    return response


def _thing_parsed(request: HttpRequest, thing: Thing) -> Parsed:
    parsed = _parsed(request)
    kinds = tuple(k for k in THING_KINDS if k in parsed.filters.kinds)
    filters = dataclasses.replace(
        parsed.filters, kinds=kinds, thing=thing.pk, home=None, room=None, person=None
    )
    return dataclasses.replace(parsed, filters=filters)


@household_required
def thing_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows of a thing's history panel (its first page, older ones, or newer ones)."""
    access = household_object(request, Thing, pk)
    parsed = _thing_parsed(request, access.obj)
    context = _rows(request, parsed, reverse("logbook:thing_history", args=[pk]))
    context.update(show_who=parsed.show_who, errors=parsed.errors)
    return render(request, "logbook/_rows.html", context)


@require_POST
@household_required
def thing_history_fetch(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Members ask the cloud for the account's newest history now (a Celery job); the panel
    fills in when it lands."""
    access = household_object(request, Thing, pk)
    thing = access.require(Role.MEMBER)
    if thing.kind != ThingKind.DEVICE:
        messages.error(request, "A group keeps no history of its own; its devices do.")
    else:
        sync_history_for_account.delay(thing.account_id)
        messages.success(request, "Fetching newer history from the cloud; it appears below.")
    return HttpResponseRedirect(reverse("dashboard:thing", args=[pk]) + "#history")
