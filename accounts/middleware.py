"""Resolve the current household and enter its scope for the whole request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts import log_context
from accounts.services import memberships_of
from accounts.tenancy import SESSION_KEY, choose_membership

__all__ = ["SESSION_KEY", "HouseholdMiddleware", "current_membership"]


class HouseholdMiddleware:
    """Sets `request.membership` / `request.household`, scopes every query to it and shows
    times in its zone.

    Staff on the admin site see every household, so that prefix runs unscoped. Anything
    else that queries household data outside a scope fails loudly (django-scopes).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_prefix = reverse("admin:index")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        request.household = None  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated and user.is_staff and request.path.startswith(self.admin_prefix):
            with scopes_disabled():
                return self.get_response(request)
        if user.is_authenticated:
            membership = current_membership(request)
            if membership is not None:
                request.membership = membership  # type: ignore[attr-defined]
                request.household = membership.household  # type: ignore[attr-defined]
                # Times on its pages are in the household's zone (dashboard.when).
                with (
                    log_context.bound(household=membership.household_id),
                    scope(household=membership.household_id),
                    timezone.override(membership.household.zone),
                ):
                    return self.get_response(request)
        return self.get_response(request)


def current_membership(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The membership chosen in the session, else the user's first household."""
    memberships = memberships_of(request.user)  # type: ignore[arg-type]
    request.all_memberships = memberships  # type: ignore[attr-defined]
    wanted = request.session.get(SESSION_KEY)
    chosen = choose_membership(memberships, wanted)  # the same rule as the page websocket
    if chosen is not None and chosen.household_id != wanted:
        request.session[SESSION_KEY] = chosen.household_id
    return chosen
