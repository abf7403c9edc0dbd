"""All on / all off for a room, a home or the things chosen in Select mode; Refresh and
Move of the chosen things (thin: devices.batch_control and devices.homes do the work).

Each is a POST that comes back to the page it came from with messages. All on / All off runs
in the background: the page says it started, and its result (one line per thing that failed,
saying why) arrives on the person's open pages. Guests get the 403 page.
"""

from __future__ import annotations

from collections.abc import Sequence

import kombu.exceptions
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.access import household_object
from accounts.models import LinkStatus, Membership, Role
from accounts.views import household_required
from devices import arranging, batch_control
from devices.models import Home, Room, Thing
from devices.tasks import switch_batch
from devices.thing_actions import ActionFailed

NOTHING_CHOSEN = "Choose one or more things first (Select, then tick their boxes)."


def _rooms() -> QuerySet[Room]:
    return Room.objects.select_related("home__account").exclude(
        home__account__status=LinkStatus.UNLINKED
    )


def _homes() -> QuerySet[Home]:
    return Home.objects.select_related("account").exclude(account__status=LinkStatus.UNLINKED)


@require_POST
@household_required
def room_switch(request: HttpRequest, pk: int) -> HttpResponse:
    access = household_object(request, _rooms(), pk)
    room = access.require(Role.MEMBER)
    things = batch_control.things_in(room=room)
    return _switch(request, access.membership, things, f"the room {room.name}")


@require_POST
@household_required
def home_switch(request: HttpRequest, pk: int) -> HttpResponse:
    access = household_object(request, _homes(), pk)
    home = access.require(Role.MEMBER)
    things = batch_control.things_in(home=home)
    return _switch(request, access.membership, things, f"the home {home.name}")


@require_POST
@household_required
def selection_switch(request: HttpRequest) -> HttpResponse:
    membership = _member(request, Role.MEMBER)
    return _switch(request, membership, _chosen(request), "the chosen things")


@require_POST
@household_required
def selection_refresh(request: HttpRequest) -> HttpResponse:
    membership = _member(request, Role.MEMBER)
    things = _chosen(request)
    if not things:
        messages.error(request, NOTHING_CHOSEN)
        return _back(request)
    outcome = batch_control.refresh_things(membership, things)
    if outcome.refreshed:
        messages.success(request, f"Read again from the cloud: {_names(outcome.refreshed)}.")
    for failed in outcome.failed:
        messages.error(request, f"{failed.name} was not refreshed: {failed.reason}")
    return _back(request)


@require_POST
@household_required
def selection_move(request: HttpRequest) -> HttpResponse:
    membership = _member(request, Role.ADMIN)
    things = _chosen(request)
    raw_room = request.POST.get("room", "")
    room = _rooms().filter(pk=int(raw_room)).first() if raw_room.isdigit() else None
    if not things or room is None:
        messages.error(request, NOTHING_CHOSEN if not things else "Choose the room to move to.")
        return _back(request)
    try:
        outcome = arranging.move_things(membership, things, room)
    except ActionFailed as exc:
        messages.error(request, exc.message)
        return _back(request)
    if outcome.moved:
        messages.success(request, f"Moved {_names(outcome.moved)} to {room.name}.")
    for name, why in outcome.refused:
        messages.error(request, f"{name} was not moved: {why}")
    if not outcome.moved and not outcome.refused:
        messages.info(request, f"They are in {room.name} already.")
    return _back(request)


def _switch(
    request: HttpRequest, membership: Membership, things: Sequence[Thing], where: str
) -> HttpResponse:
    """Queue the batch (the cloud waits for the devices' answers: seconds, not a request's
    work); the person's open pages show its result when it is in."""
    # The page script posts it and stays (its socket must be open when the answers come);
    # without a script the page comes back with the same words as messages.
    wants_json = request.headers.get("Accept") == "application/json"

    def answer(words: str, ok: bool) -> HttpResponse:
        if wants_json:
            return JsonResponse(
                {"message": words} if ok else {"error": words}, status=200 if ok else 400
            )
        (messages.info if ok else messages.error)(request, words)
        return _back(request)

    on = request.POST.get("state") == "on"
    if request.POST.get("state") not in ("on", "off"):
        return answer("Say whether to switch them on or off.", False)
    if not things:
        return answer(NOTHING_CHOSEN if where == "the chosen things" else
                      f"There is nothing in {where} to switch.", False)  # fmt: skip
    ids = [thing.pk for thing in things]
    try:
        switch_batch.delay(membership.pk, ids, on, where)
    except kombu.exceptions.OperationalError:
        return answer("The background worker cannot be reached; nothing was switched.", False)
    word = "on" if on else "off"
    count = f"{len(ids)} thing{'s' if len(ids) != 1 else ''}"
    return answer(f"Switching {word} {count} in {where}; the answers show here.", True)


def _member(request: HttpRequest, minimum: str) -> Membership:
    membership: Membership = request.membership  # type: ignore[attr-defined]
    if not membership.has_role(minimum):
        label = Role(minimum).label.lower()
        raise PermissionDenied(f"This needs the {label} role or higher.")
    return membership


def _chosen(request: HttpRequest) -> list[Thing]:
    household_id = request.membership.household_id  # type: ignore[attr-defined]
    return batch_control.chosen_things(household_id, request.POST.getlist("thing"))


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """To the page the form was on (its room filter kept), else the dashboard."""
    referer = request.META.get("HTTP_REFERER", "")
    ok = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(referer if ok and referer else reverse("dashboard:home"))
