"""The household's notifications page: everyone sees them, members and up mark them read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import notifications
from accounts.access import household_object
from accounts.models import Notification, Role
from accounts.views import household_required

PAGE_SIZE = 100


@household_required
def notification_list(request: HttpRequest) -> HttpResponse:
    household_id = request.household.pk  # type: ignore[attr-defined]
    context = {
        "notifications": notifications.for_household(household_id)[:PAGE_SIZE],
        "can_mark": request.membership.has_role(Role.MEMBER),  # type: ignore[attr-defined]
    }
    return render(request, "accounts/notifications.html", context)


@require_POST
@household_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    access = household_object(request, Notification, pk)
    notifications.mark_read(access.membership, access.obj)
    return redirect("accounts:notifications")


@require_POST
@household_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications.mark_all_read(request.membership)  # type: ignore[attr-defined]
    return redirect("accounts:notifications")
