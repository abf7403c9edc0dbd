"""The timer editor's form: posted fields → a typed timer, and a timer → the fields' values.

Every kind has its own fields (``once_date``, ``repeat_days`` …) so the add form can show all
of them at once and the ``kind`` select decides which are read. An action is "on"/"off" for
a single relay and "<outlet>:on" for one outlet of a multi-channel device.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Protocol

from devices import timers

KINDS = (("once", "Once"), ("repeat", "Repeat"), ("loop", "Loop"), ("countdown", "Countdown"))


class Form(Protocol):
    def get(self, key: str, default: Any = ...) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


def action_choices(channels: timers.Channels) -> list[tuple[str, str]]:
    """(value, label) of every action the device's timer can take."""
    if not channels.multi:
        return [("on", "Turn on"), ("off", "Turn off")]
    return [
        (f"{outlet}:{word}", f"{channels.label(outlet)} {word}")
        for outlet in range(len(channels.names))
        for word in ("on", "off")
    ]


def parse(form: Form, channels: timers.Channels, mid: str | None = None) -> timers.Timer:
    """The timer the fields describe (enabled), or a TimerError saying which field is wrong."""
    kind = form.get("kind", "")
    if kind == "once":
        when = datetime.combine(_date(form, "once_date"), _time(form, "once_time"))
        return timers.OnceTimer(when=when, action=_action(form, "once_action", channels), mid=mid)
    if kind == "repeat":
        days = form.getlist("repeat_days")
        if not all(d in {"0", "1", "2", "3", "4", "5", "6"} for d in days):
            raise timers.TimerError("Choose weekdays from the list")
        return timers.RepeatTimer(
            weekdays=frozenset(int(d) for d in days),
            at=_time(form, "repeat_time"),
            action=_action(form, "repeat_action", channels),
            mid=mid,
        )
    if kind == "loop":
        start = datetime.combine(_date(form, "loop_date"), _time(form, "loop_time"))
        return timers.LoopTimer(
            start=start,
            first_minutes=_minutes(form, "loop_first", "The first phase"),
            second_minutes=_minutes(form, "loop_second", "The second phase"),
            start_do=_action(form, "loop_start", channels),
            end_do=_action(form, "loop_end", channels),
            mid=mid,
        )
    if kind == "countdown":
        minutes = _minutes(form, "countdown_minutes", "A countdown")
        action = _action(form, "countdown_action", channels)
        return timers.CountdownTimer(minutes=minutes, action=action, mid=mid)
    raise timers.TimerError("Choose what kind of timer it is")


def initial(timer: timers.Timer) -> dict[str, Any]:
    """The fields' values that show ``timer`` in its edit form."""
    if isinstance(timer, timers.OnceTimer):
        return {
            "once_date": f"{timer.when:%Y-%m-%d}",
            "once_time": f"{timer.when:%H:%M}",
            "once_action": action_value(timer.action),
        }
    if isinstance(timer, timers.RepeatTimer):
        return {
            "repeat_days": {str(d) for d in timer.weekdays},
            "repeat_time": f"{timer.at:%H:%M}",
            "repeat_action": action_value(timer.action),
        }
    if isinstance(timer, timers.LoopTimer):
        return {
            "loop_date": f"{timer.start:%Y-%m-%d}",
            "loop_time": f"{timer.start:%H:%M}",
            "loop_first": timer.first_minutes,
            "loop_second": timer.second_minutes,
            "loop_start": action_value(timer.start_do),
            "loop_end": action_value(timer.end_do),
        }
    return {
        "countdown_minutes": timer.minutes,
        "countdown_action": action_value(timer.action),
    }


def action_value(action: timers.Action) -> str:
    if action.switch is not None:
        return "on" if action.switch else "off"
    outlet, on = action.outlets[0] if action.outlets else (0, True)
    return f"{outlet}:{'on' if on else 'off'}"


def _action(form: Form, field: str, channels: timers.Channels) -> timers.Action:
    raw = str(form.get(field, ""))
    if not channels.multi:
        if raw not in ("on", "off"):
            raise timers.TimerError("Choose whether the timer turns the device on or off")
        return timers.Action.single(raw == "on")
    outlet, _, word = raw.partition(":")
    if not outlet.isdigit() or word not in ("on", "off"):
        raise timers.TimerError("Choose which channel the timer switches, and on or off")
    return timers.Action.channel(int(outlet), word == "on")


def _date(form: Form, field: str) -> date:
    try:
        return date.fromisoformat(str(form.get(field, "")))
    except ValueError:
        raise timers.TimerError("Give a date (year-month-day)") from None


def _time(form: Form, field: str) -> time:
    raw = str(form.get(field, ""))
    try:
        moment = time.fromisoformat(raw)
    except ValueError:
        raise timers.TimerError("Give a time (hours:minutes)") from None
    return moment.replace(second=0, microsecond=0)


def _minutes(form: Form, field: str, what: str) -> int:
    raw = str(form.get(field, "")).strip()
    if not raw.isdigit():
        raise timers.TimerError(f"{what} needs a whole number of minutes")
    return int(raw)
