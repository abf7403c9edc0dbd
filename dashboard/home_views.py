"""The homes page: every linked account's homes and rooms, managed by admins and owners
(thin: devices.homes does the work). Each action is a POST that comes back to the page with
a message; a role that may not gets the 403 page, a cloud refusal a message in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import Access, household_object
from accounts.models import LinkedAccount, LinkStatus, Role
from accounts.views import confirmed, household_required
from dashboard.live_page import live_context
from devices import homes
from devices.homes_page import page_context
from devices.models import Home, Room
from devices.thing_actions import ActionFailed


@household_required
def homes_page(request: HttpRequest) -> HttpResponse:
    context = {
        **live_context(request),
        **page_context(request.membership.role),  # type: ignore[attr-defined]
    }
    return render(request, "homes/page.html", context)


def _live_accounts() -> Any:
    return LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED)


def _homes() -> Any:
    return Home.objects.select_related("account").exclude(account__status=LinkStatus.UNLINKED)


def _rooms() -> Any:
    return Room.objects.select_related("home__account").exclude(
        home__account__status=LinkStatus.UNLINKED
    )


def _back(anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("dashboard:homes") + (f"#{anchor}" if anchor else ""))


def layout_action(
    source: Callable[[], Any],
    act: Callable[[HttpRequest, Access[Any]], tuple[str, str]],
    back: Callable[..., HttpResponseRedirect] = _back,
) -> Callable[..., HttpResponse]:
    """A POST on an account, home, room or group: `act` returns (its sentence, the anchor to
    go back to on the page `back` leads to); a refusal in words becomes an error message and
    changes nothing."""

    @require_POST
    @household_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        access = household_object(request, source(), pk)
        try:
            done, anchor = act(request, access)
        except ActionFailed as exc:
            messages.error(request, exc.message)
            return back()
        messages.success(request, done)
        return back(anchor)

    return view


def _add_home(request: HttpRequest, access: Access[LinkedAccount]) -> tuple[str, str]:
    post = request.POST
    home = homes.add_home(
        access.membership, access.obj, post.get("name", ""), post.get("rooms", "")
    )
    return f"Created the home {home.name}.", f"home-{home.pk}"


def _rename_home(request: HttpRequest, access: Access[Home]) -> tuple[str, str]:
    home = homes.rename_home(access.membership, access.obj, request.POST.get("name", ""))
    return f"Renamed the home to {home.name}.", f"home-{home.pk}"


def _current_home(request: HttpRequest, access: Access[Home]) -> tuple[str, str]:
    home = homes.make_current(access.membership, access.obj)
    return f"{home.name} is now the account's current home.", f"home-{home.pk}"


def _add_room(request: HttpRequest, access: Access[Home]) -> tuple[str, str]:
    room = homes.add_room(access.membership, access.obj, request.POST.get("name", ""))
    return f"Added the room {room.name} to {access.obj.name}.", f"home-{access.obj.pk}"


def _rename_room(request: HttpRequest, access: Access[Room]) -> tuple[str, str]:
    room = homes.rename_room(access.membership, access.obj, request.POST.get("name", ""))
    return f"Renamed the room to {room.name}.", f"home-{room.home_id}"


def _move_room(request: HttpRequest, access: Access[Room]) -> tuple[str, str]:
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        raise ActionFailed("Move a room up or down.")
    room = homes.move_room(access.membership, access.obj, -1 if direction == "up" else 1)
    return f"Moved {room.name} {direction}.", f"room-{room.pk}"


add_home = layout_action(_live_accounts, _add_home)
rename_home = layout_action(_homes, _rename_home)
current_home = layout_action(_homes, _current_home)
add_room = layout_action(_homes, _add_room)
rename_room = layout_action(_rooms, _rename_room)
move_room = layout_action(_rooms, _move_room)


@household_required
def delete_home(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first, saying where its devices go; only a confirmed POST deletes."""
    access = household_object(request, _homes(), pk)
    home = access.require(Role.ADMIN)
    others = list(_homes().filter(account_id=home.account_id).exclude(pk=home.pk))
    if confirmed(request):
        move_to = next((h for h in others if str(h.pk) == request.POST.get("move_to")), None)
        try:
            if others and move_to is None:
                raise ActionFailed("Choose the home its devices move to.")
            homes.delete_home(access.membership, home, move_to or home)
        except ActionFailed as exc:
            messages.error(request, exc.message)
            return _back(f"home-{home.pk}")
        messages.success(request, f"Deleted the home {home.name}; its devices are in {move_to}.")
        return _back()
    context = {
        "home": home,
        "others": others,
        "rooms": list(home.rooms.all()),
        "thing_count": home.things.count(),
        "only_home": homes.ONLY_HOME,
    }
    return render(request, "homes/delete_home.html", context)


@household_required
def delete_room(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first, saying its devices stay in the home in no room; a confirmed POST deletes."""
    access = household_object(request, _rooms(), pk)
    room = access.require(Role.ADMIN)
    if confirmed(request):
        try:
            homes.delete_room(access.membership, room)
        except ActionFailed as exc:
            messages.error(request, exc.message)
            return _back(f"home-{room.home_id}")
        messages.success(request, f"Deleted the room {room.name}.")
        return _back(f"home-{room.home_id}")
    context = {"room": room, "thing_count": room.things.count()}
    return render(request, "homes/delete_room.html", context)
