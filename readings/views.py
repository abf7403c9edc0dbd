"""The chart data endpoint and the energy panel's "Fetch now" (thin over readings.*)."""

from __future__ import annotations

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import household_object
from accounts.models import Role
from accounts.views import household_required
from devices.models import Thing
from devices.presentation import plugin_for
from readings import charts, energy


@household_required
def chart_data(request: HttpRequest, pk: int) -> HttpResponse:
    """A thing's chart series over `range` (6h … 1y, or custom with `start`/`end`)."""
    thing = household_object(request, Thing, pk).obj  # guests may look; outsiders get a 404
    if request.method != "GET":  # after the lookup: another household's thing stays a 404
        return HttpResponseNotAllowed(["GET"])
    series = plugin_for(thing).charts()
    wanted = [k for k in request.GET.get("series", "").split(",") if k]
    if wanted:
        series = [s for s in series if s.key in wanted]
    try:
        win = charts.window(
            request.GET.get("range", "24h"),
            timezone.now(),
            request.GET.get("start", ""),
            request.GET.get("end", ""),
        )
    except charts.BadRange as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(charts.chart_json(thing, series, win))


@require_POST
@household_required
def fetch_energy(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask a meter for its energy history now (members and up).

    The page's script posts it and stays (its socket then brings the redrawn panel, which a
    reload could miss); without the script it is a form post back to the page."""
    thing = household_object(request, Thing, pk).require(Role.MEMBER)
    try:
        energy.request_history(thing)
    except energy.EnergyFetchFailed as exc:
        ok, words = False, str(exc)
    else:
        ok, words = (
            True,
            "Asked the meter for its energy history: the bars fill in when it answers.",
        )
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"message": words}, status=200 if ok else 502)
    (messages.success if ok else messages.error)(request, words)
    return HttpResponseRedirect(reverse("dashboard:thing", args=[pk]) + "#energy")
