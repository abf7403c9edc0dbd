"""Drag and drop: the order of a home's rooms, and a card dropped in a room (thin:
devices.homes and devices.arranging work).

The page's script posts the new order and keeps the card or room where it was dropped; the
answer is JSON for the script: `{"ok": true}`, or `{"error": words}` with 409 when the cloud
or a stale page refused it (the script then draws the page as it is). Every open page,
this one included, redraws from the structure event. Without a script the rooms' Up and
Down buttons and the thing page's room list do the same. A role that may not gets the 403.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from accounts.access import household_object
from accounts.models import LinkStatus, Role
from accounts.views import household_required
from devices import arranging, homes
from devices.models import Home, Room, Thing
from devices.thing_actions import ActionFailed


def _pks(raw: str) -> list[int]:
    parts = [p for p in raw.split(",") if p]
    if not parts or not all(p.isdigit() for p in parts) or len(parts) > 1000:
        raise ActionFailed("The new order did not arrive whole; try again.")
    return [int(p) for p in parts]


DONE = {"ok": True}


def _refused(exc: ActionFailed) -> JsonResponse:
    return JsonResponse({"error": exc.message}, status=409)


@require_POST
@household_required
def order_rooms(request: HttpRequest, pk: int) -> JsonResponse:
    """POST `order`: the home's room ids, comma separated, in their new order."""
    live = Home.objects.exclude(account__status=LinkStatus.UNLINKED).select_related("account")
    access = household_object(request, live, pk)
    access.require(Role.ADMIN)
    try:
        homes.order_rooms(access.membership, access.obj, _pks(request.POST.get("order", "")))
    except ActionFailed as exc:
        return _refused(exc)
    return JsonResponse(DONE)


@require_POST
@household_required
def place_thing(request: HttpRequest, pk: int) -> JsonResponse:
    """POST `room` (a room id, or empty for the home's "No room") and `order`: the ids of
    that room's cards after the drop, the dropped one included."""
    live = Thing.objects.exclude(account__status=LinkStatus.UNLINKED).select_related("home")
    access = household_object(request, live, pk)
    access.require(Role.ADMIN)
    raw_room = request.POST.get("room", "")
    try:
        if raw_room and not raw_room.isdigit():
            raise ActionFailed("Drop the card on a room.")
        room = get_object_or_404(Room, pk=int(raw_room)) if raw_room else None
        order = _pks(request.POST.get("order", ""))
        arranging.place_thing(access.membership, access.obj, room, order)
    except ActionFailed as exc:
        return _refused(exc)
    return JsonResponse(DONE)
