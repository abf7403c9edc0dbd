"""The family dashboard pages."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.models import Membership
from accounts.views import household_required


@household_required
def home(request: HttpRequest) -> HttpResponse:
    """The household's front page."""
    context = {"member_count": Membership.objects.count()}
    return render(request, "dashboard/home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for docker-compose and the launcher: the web process answers."""
    return JsonResponse({"ok": True})
