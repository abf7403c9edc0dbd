"""The message centre page: everyone reads the accounts' messages, members mark them read."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import household_object
from accounts.models import Role
from accounts.views import household_required
from dashboard.live_page import live_context
from devices import message_centre
from devices.message_centre import KIND_WORDS, PAGE_SIZE, READ_STATES, MessageFilters
from devices.models import Message


@household_required
def message_list(request: HttpRequest) -> HttpResponse:
    filters = MessageFilters.from_query(request.GET)
    page = Paginator(message_centre.filtered(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "lines": message_centre.lines(list(page.object_list)),
        "page": page,
        "filters": filters,
        "filter_query": filters.query_string(),
        "kinds": KIND_WORDS,
        "read_states": READ_STATES,
        "homes": message_centre.home_choices(),
        "unread": message_centre.unread_count(),
        "can_mark": request.membership.has_role(Role.MEMBER),  # type: ignore[attr-defined]
        **live_context(request),
    }
    return render(request, "dashboard/messages.html", context)


@require_POST
@household_required
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    access = household_object(request, Message, pk)
    message_centre.mark_read(access.membership, access.obj)
    return _back(request)


@require_POST
@household_required
def message_read_all(request: HttpRequest) -> HttpResponse:
    message_centre.mark_all_read(request.membership)  # type: ignore[attr-defined]
    return _back(request)


def _back(request: HttpRequest) -> HttpResponse:
    """To the page with the filters it was showing (only filters we know survive)."""
    query = MessageFilters.from_query(request.GET).query_string()
    return redirect(reverse("dashboard:messages") + (f"?{query}" if query else ""))
