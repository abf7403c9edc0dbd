"""A thing's own page and the settings actions on it (thin: devices.thing_settings works).

Every action is a POST that redirects back to the page (the page of everyone else updates
live); a refusal or a cloud error comes back as a message and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import Access, household_object
from accounts.views import confirm_page, confirmed, household_required
from devices import thing_settings
from devices.models import Room, Thing
from devices.thing_actions import ActionFailed
from devices.thing_page import Viewer, page_thing, panels
from realtime.events import PROTOCOL_VERSION


def viewer_of(access: Access[Any]) -> Viewer:
    return Viewer(access.membership.role)


@household_required
def thing_page(request: HttpRequest, pk: int) -> HttpResponse:
    access = household_object(request, Thing, pk)
    thing = page_thing(access.obj.pk)
    assert thing is not None
    context = {
        "thing": thing,
        "panels": panels(thing, viewer_of(access), request),
        "structure_version": request.household.structure_version,  # type: ignore[attr-defined]
        "drawn_at": timezone.now().isoformat(),
        # The state its panels show: the socket redraws them if a newer one was stored meanwhile.
        "drawn_update": thing.last_update_at.isoformat() if thing.last_update_at else "",
        "protocol": PROTOCOL_VERSION,
    }
    return render(request, "things/page.html", context)


Act = Callable[[HttpRequest, Access[Thing]], str]


@dataclass(frozen=True)
class Question:
    """What a confirmation page asks before an action that cannot be undone."""

    title: str
    losses: list[str]
    action: str


# Checks the role first (a role that may not gets the 403 page, not a question), then asks.
Ask = Callable[[HttpRequest, Access[Thing]], Question]


def thing_action(
    act: Act, anchor: str = "settings", ask: Ask | None = None
) -> Callable[..., HttpResponse]:
    """A POST on a thing: run `act`, show its sentence (or why not), back to the page.

    With `ask`, a POST without the confirmation gets a page saying what will be lost, whose
    button posts the same fields again, confirmed. A role that may not is refused with a 403
    page (PermissionDenied from the service)."""

    @require_POST
    @household_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        access = household_object(request, Thing, pk)
        try:
            if ask is not None and not confirmed(request):
                return _ask(request, access, ask(request, access), anchor)
            done = act(request, access)
        except ActionFailed as exc:  # a role refusal is a 403 page that says why
            messages.error(request, exc.message)
            return _back(access.obj, anchor)
        messages.success(request, done)
        if not Thing.objects.filter(pk=pk).exists():
            return redirect("dashboard:home")
        return _back(access.obj, anchor)

    return view


def _ask(request: HttpRequest, access: Access[Thing], question: Question, anchor: str) -> Any:
    keep = [(k, v) for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "confirm")]
    cancel = reverse("dashboard:thing", args=[access.obj.pk]) + f"#{anchor}"
    return confirm_page(
        request, title=question.title, losses=question.losses, action=question.action,
        cancel_url=cancel, keep=keep,
    )  # fmt: skip


def _back(thing: Thing, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("dashboard:thing", args=[thing.pk]) + f"#{anchor}")


def _seen_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.POST.get("seen", ""))
    except ValueError:
        raise ActionFailed(thing_settings.CHANGED_MEANWHILE) from None


def _rename(request: HttpRequest, access: Access[Thing]) -> str:
    thing = thing_settings.rename(
        access.membership, access.obj, request.POST.get("name", ""), request.POST.get("seen", "")
    )
    return f"Renamed to “{thing.name}”."


def _move(request: HttpRequest, access: Access[Thing]) -> str:
    raw = request.POST.get("room", "")
    room = None
    if raw:
        if not raw.isdigit():
            raise ActionFailed("Choose a room from the list.")
        room = get_object_or_404(Room, pk=int(raw))
    thing = thing_settings.move(access.membership, access.obj, room)
    return f"Moved to {thing.room or 'no room'}."


def _channels(request: HttpRequest, access: Access[Thing]) -> str:
    names = {
        int(key.removeprefix("channel_")): value
        for key, value in request.POST.items()
        if key.startswith("channel_") and key.removeprefix("channel_").isdigit()
    }
    seen = _seen_json(request)
    thing_settings.set_channel_names(access.membership, access.obj, names, seen)
    return "Channel names saved."


def _notifications(request: HttpRequest, access: Access[Thing]) -> str:
    wanted = {key: key in request.POST for key, _label in thing_settings.NOTIFY_SETTINGS}
    seen = _seen_json(request)
    thing_settings.set_notifications(access.membership, access.obj, wanted, seen)
    return "Notification settings saved."


def _option(request: HttpRequest, access: Access[Thing]) -> str:
    name = request.POST.get("option", "")
    thing_settings.set_option(
        access.membership, access.obj, name, request.POST.get("value", ""),
        request.POST.get("seen", ""),
    )  # fmt: skip
    return "Sent to the device; the page shows it once the device confirms."


def _clear_history(request: HttpRequest, access: Access[Thing]) -> str:
    count = thing_settings.clear_history(access.membership, access.obj)
    return f"History cleared ({count} entries here)."


def _ask_clear_history(request: HttpRequest, access: Access[Thing]) -> Question:
    thing = access.obj
    thing_settings.may_clear_history(access.membership, thing)
    count = thing.history.count()
    return Question(
        f"Clear the history of “{thing.name}”?",
        [
            "Its operating history is deleted on the eWeLink cloud, for this dashboard and "
            f"every eWeLink app ({count} entr{'y' if count == 1 else 'ies'} here).",
            "This cannot be undone.",
        ],
        "Clear history",
    )


def _remove(request: HttpRequest, access: Access[Thing]) -> str:
    name = access.obj.name
    thing_settings.remove(access.membership, access.obj, request.POST.get("confirm", ""))
    return f"“{name}” was removed."


rename = thing_action(_rename)
move = thing_action(_move)
channels = thing_action(_channels)
notifications = thing_action(_notifications)
option = thing_action(_option)
clear_history = thing_action(_clear_history, "danger-title", _ask_clear_history)
remove = thing_action(_remove, "danger-title")
