"""The account health board: how each linked account of the household is doing (admins)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.health import household_health
from accounts.models import Role
from accounts.services import require_role
from accounts.views import household_required


@household_required
def account_health(request: HttpRequest) -> HttpResponse:
    """Per account: summary colour in words, the facts, each job's last run, what to do."""
    require_role(request.membership, Role.ADMIN)  # type: ignore[attr-defined]
    household = request.household  # type: ignore[attr-defined]
    return render(
        request, "accounts/account_health.html", {"accounts": household_health(household)}
    )
