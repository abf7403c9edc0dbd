"""The timers editor's POSTs on a thing page (thin: devices.timer_editing works).

Each form carries the fingerprint of the timers it was drawn from; a bad field or a stale
editor comes back as the page message and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.access import Access
from dashboard.thing_views import Question, thing_action
from devices import timer_editing, timer_form
from devices.models import Thing
from devices.thing_actions import ActionFailed
from devices.timers import TimerError

SENT = "the page shows it once the device confirms."


def _timer(request: HttpRequest, thing: Thing, mid: str | None = None) -> Any:
    """The posted timer, checked the way the page's form means it."""
    channels = timer_editing.channels_of(thing)
    if channels is None:
        raise ActionFailed(timer_editing.NO_TIMERS)
    try:
        return timer_form.parse(request.POST, channels, mid)
    except TimerError as exc:
        raise ActionFailed(f"{exc}.") from None


def _seen(request: HttpRequest) -> str:
    return request.POST.get("fingerprint", "")


def _mid(request: HttpRequest) -> str:
    mid = request.POST.get("mid", "")
    if not mid:
        raise ActionFailed("Choose a timer from the list.")
    return mid


def _add(request: HttpRequest, access: Access[Thing]) -> str:
    thing = access.obj
    timer_editing.require_editor(access.membership)
    timer_editing.add(access.membership, thing, _timer(request, thing), _seen(request))
    return f"Timer sent to the device; {SENT}"


def _edit(request: HttpRequest, access: Access[Thing]) -> str:
    timer_editing.require_editor(access.membership)  # the role first, before the form
    thing, mid = access.obj, _mid(request)
    timer_editing.edit(access.membership, thing, mid, _timer(request, thing, mid), _seen(request))
    return f"Changed timer sent to the device; {SENT}"


def _delete(request: HttpRequest, access: Access[Thing]) -> str:
    timer_editing.require_editor(access.membership)
    timer_editing.delete(access.membership, access.obj, _mid(request), _seen(request))
    return f"Timer deleted on the device; {SENT}"


def _enable(request: HttpRequest, access: Access[Thing]) -> str:
    timer_editing.require_editor(access.membership)
    enabled = request.POST.get("enabled") == "1"
    timer_editing.set_enabled(access.membership, access.obj, _mid(request), enabled, _seen(request))
    state = "enabled" if enabled else "disabled"
    return f"Timer {state} on the device; {SENT}"


def _ask_delete(request: HttpRequest, access: Access[Thing]) -> Question:
    timer_editing.require_editor(access.membership)
    words = timer_editing.describe(access.obj, _mid(request))
    return Question(
        f"Delete a timer of “{access.obj.name}”?",
        [f"The timer “{words}” is deleted on the device; it will not run again."],
        "Delete timer",
    )


add = thing_action(_add, "timers")
edit = thing_action(_edit, "timers")
delete = thing_action(_delete, "timers", _ask_delete)
enable = thing_action(_enable, "timers")
