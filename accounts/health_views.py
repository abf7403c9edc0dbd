"""The account health board: how each linked account of the household is doing (admins).

Live: the page's socket redraws it on every account event (static/js/live.js, view "health").
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.health import household_health
from accounts.models import Role
from accounts.services import require_role
from accounts.views import household_required


@household_required  # type: ignore[untyped-decorator]
def account_health(request: HttpRequest) -> HttpResponse:
    """Per account: summary colour in words, the facts, each job's last run, what to do."""
    require_role(request.membership, Role.ADMIN)  # type: ignore[attr-defined]
    household = request.household  # type: ignore[attr-defined]
    context = {
        # What the page's socket needs (static/js/live.js), read before the facts: a change
        # made meanwhile still reaches the page.
        "structure_version": household.structure_version,
        "drawn_at": timezone.now().isoformat(),
        "accounts": household_health(household),
    }
    return render(request, "accounts/account_health.html", context)
