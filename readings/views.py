"""The chart data endpoint and the energy panel's "Fetch now" (thin over readings.*)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone

from accounts.access import Access, household_object
from accounts.models import Role
from accounts.views import household_required
from dashboard.thing_views import thing_action
from devices.models import Thing
from devices.presentation import plugin_for
from devices.thing_actions import ActionFailed
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


def _fetch(request: HttpRequest, access: Access[Thing]) -> str:
    thing = access.require(Role.MEMBER)
    try:
        energy.request_history(thing)
    except energy.EnergyFetchFailed as exc:
        raise ActionFailed(str(exc)) from None
    return "Asked the meter for its energy history: the bars fill in when it answers."


fetch_energy = thing_action(_fetch, "energy")
