"""The family dashboard pages."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone

from accounts import syncing
from accounts.models import LinkedAccount, LinkStatus
from accounts.views import household_required
from devices.fragments import room_choices
from devices.presentation import dashboard_sections
from realtime.events import PROTOCOL_VERSION


@household_required
def home(request: HttpRequest) -> HttpResponse:
    """Homes → rooms → device cards of every linked account, optionally one room only."""
    raw_room = request.GET.get("room", "")
    room_id = int(raw_room) if raw_room.isdigit() else None
    accounts = list(LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED))
    syncing.clear_stale(accounts)
    # Both read before the page is drawn: a change made meanwhile is newer than either, so
    # the page's socket still brings it.
    version = request.household.structure_version  # type: ignore[attr-defined]
    drawn_at = timezone.now()
    context = {
        "sections": dashboard_sections(room_id),
        "room_choices": room_choices(),
        "structure_version": version,
        "drawn_at": drawn_at.isoformat(),
        "protocol": PROTOCOL_VERSION,
        "selected_room": room_id,
        "has_accounts": bool(accounts),
        "accounts": accounts,  # each one's "Syncing …" line, shown while its sync runs
        "relink_accounts": [a for a in accounts if a.status == LinkStatus.NEEDS_RELINK],
    }
    return render(request, "dashboard/home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for docker-compose and the launcher: the web process answers."""
    return JsonResponse({"ok": True})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to: send them to the icon.

    Not permanent: the target is a hashed static name that changes with the icon.
    """
    return redirect(static("favicon.svg"))
