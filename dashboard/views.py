"""The family dashboard pages."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRefresh

from accounts import syncing
from accounts.access import household_object
from accounts.models import LinkedAccount, LinkStatus, Role
from accounts.views import household_required
from devices import presentation
from devices.fragments import room_choices
from devices.models import Home, Room
from devices.presentation import EAGER_CARDS, dashboard_sections
from realtime.events import PROTOCOL_VERSION


@require_safe  # pages that only show: a POST here is a mistake, not a read
@household_required
def home(request: HttpRequest) -> HttpResponse:
    """Homes → rooms → device cards of every linked account, optionally one room only.

    The first rooms come with the page, later ones as they scroll into view (`room_cards`);
    `?all=1` draws every room at once.
    """
    return render(request, "dashboard/home.html", _dashboard_context(request))


@require_safe
@household_required
def wall(request: HttpRequest) -> HttpResponse:
    """The dashboard for a tablet on the wall: the same live cards, no chrome, large controls."""
    return render(request, "dashboard/wall.html", _dashboard_context(request))


def _dashboard_context(request: HttpRequest) -> dict[str, object]:
    raw_room = request.GET.get("room", "")
    room_id = int(raw_room) if raw_room.isdigit() else None
    eager = None if request.GET.get("all") == "1" else EAGER_CARDS
    accounts = list(LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED))
    syncing.clear_stale(accounts)
    # Both read before the page is drawn: a change made meanwhile is newer than either, so
    # the page's socket still brings it.
    version = request.household.structure_version  # type: ignore[attr-defined]
    drawn_at = timezone.now()
    return {
        "sections": dashboard_sections(room_id, eager),
        "room_choices": room_choices(),
        "structure_version": version,
        "drawn_at": drawn_at.isoformat(),
        "protocol": PROTOCOL_VERSION,
        "selected_room": room_id,
        "has_accounts": bool(accounts),
        "accounts": accounts,  # each one's "Syncing …" line, shown while its sync runs
        "relink_accounts": [a for a in accounts if a.status == LinkStatus.NEEDS_RELINK],
        # All on/off and Select mode: members and up; moving things: admins and owners.
        "may_control": request.membership.has_role(Role.MEMBER),  # type: ignore[attr-defined]
        "may_manage": request.membership.has_role(Role.ADMIN),  # type: ignore[attr-defined]
    }


@require_safe
def room_cards(request: HttpRequest) -> HttpResponse:
    """The cards of one room of the dashboard (`?home=<id>&room=<id>`, an empty id for things
    in no home or no room): the fragment a room below the fold loads as it comes into view."""
    if request.htmx and request.membership is None:  # type: ignore[attr-defined]
        # Signed out or out of the household since the page loaded: reload it (to sign-in)
        # rather than put the page a redirect leads to inside a room.
        return HttpResponseClientRefresh()
    response: HttpResponse = _room_cards(request)
    return response


@household_required
def _room_cards(request: HttpRequest) -> HttpResponse:
    try:
        home_id, room_id = (_optional_id(request.GET[name]) for name in ("home", "room"))
    except (KeyError, ValueError):
        return HttpResponseBadRequest("Give home and room as ids (empty for none).")
    if home_id is not None:
        household_object(request, Home, home_id)
    if room_id is not None:
        household_object(request, Room, room_id)
    cards = presentation.room_cards(home_id, room_id)
    return render(request, "dashboard/_room_cards.html", {"cards": cards})


def _optional_id(raw: str) -> int | None:
    """An id, or None for an empty value; ValueError for anything else."""
    if raw == "":
        return None
    if not raw.isdigit():  # no signs, spaces or non-ASCII digits, which int() accepts
        raise ValueError(raw)
    return int(raw)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for docker-compose and the launcher: the web process answers."""
    return JsonResponse({"ok": True})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to: send them to the icon.

    Not permanent: the target is a hashed static name that changes with the icon.
    """
    return redirect(static("favicon.svg"))
