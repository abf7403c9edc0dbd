"""Device timers: a typed model, its cloud encoding, array edits, permits and validation.

The cloud keeps a device's timers in ``params.timers`` and takes the array only whole
(API document "Timer settings"; protocol notes §3.4). This module is pure: it turns the
elements a person edits into the document's shapes and back, builds the whole new array
for each change, and says what a share's permit allows. Views and services call it; it
never talks to the cloud or the database.

Times: the person works in the household's zone; the cloud gets UTC. Elements this module
cannot read are kept raw (``Unreadable``) and every array operation leaves them untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from devices.plugins.base import DevicePlugin, Params

# The eWeLink app stops at 8 timers per device: most firmwares keep the array in a small
# flash record and drop (or refuse) what does not fit, so we never send more.
MAX_TIMERS = 8
# A countdown is a quick "in a while" timer; the app offers up to a day.
COUNTDOWN_MINUTES = (1, 24 * 60)
# Loop phases: at least a minute each (the device counts whole minutes); a day is our cap
# so a typo such as 100000 is refused instead of silently meaning "never".
LOOP_MINUTES = (1, 24 * 60)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # Python's weekday() order

# The share permit bits of the API document (cloudsim/permits.py judges the same way).
CREATE, EDIT, DELETE, ENABLE = 1, 2, 4, 8
RIGHT_NAMES = {CREATE: "create", EDIT: "edit", DELETE: "delete", ENABLE: "enable"}
ALL_RIGHTS = CREATE | EDIT | DELETE | ENABLE

Element = dict[str, Any]


class TimerError(ValueError):
    """A timer or a change the editor refuses; the message is shown to the person."""


class TimersChanged(TimerError):
    """The device's timers are not the ones the editor loaded."""


class PermitError(TimerError):
    """The share's permit lacks a right the change needs."""


# --- the model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """What a timer does: the single relay (``switch``) or some outlets of ``switches[]``."""

    switch: bool | None = None
    outlets: tuple[tuple[int, bool], ...] = ()  # (outlet from 0, on) for multi-channel

    @classmethod
    def single(cls, on: bool) -> Action:
        """Turn a single-relay device on or off."""
        return cls(switch=on)

    @classmethod
    def channel(cls, outlet: int, on: bool) -> Action:
        """Turn one outlet (counted from 0) of a multi-channel device on or off."""
        return cls(outlets=((outlet, on),))


@dataclass(frozen=True)
class OnceTimer:
    """Runs once at a local date and time (naive, in the household's zone)."""

    when: datetime
    action: Action
    enabled: bool = True
    mid: str | None = None  # None until the cloud has it: to_cloud picks a new uuid4
    kind: Literal["once"] = "once"


@dataclass(frozen=True)
class RepeatTimer:
    """Runs every chosen weekday (0 = Monday … 6 = Sunday) at a local time."""

    weekdays: frozenset[int]
    at: time
    action: Action
    enabled: bool = True
    mid: str | None = None
    kind: Literal["repeat"] = "repeat"


@dataclass(frozen=True)
class LoopTimer:
    """From a local start, ``start_do`` for ``first_minutes``, ``end_do`` for ``second_minutes``,
    over and over (the document's ``duration``; single-relay devices only)."""

    start: datetime
    first_minutes: int
    second_minutes: int
    start_do: Action
    end_do: Action
    enabled: bool = True
    mid: str | None = None
    kind: Literal["loop"] = "loop"


@dataclass(frozen=True)
class CountdownTimer:
    """Runs once, ``minutes`` after it is saved (the app's ``delay``)."""

    minutes: int
    action: Action
    enabled: bool = True
    mid: str | None = None
    due: datetime | None = None  # local time it fires, known once the cloud has it
    kind: Literal["countdown"] = "countdown"


Timer = OnceTimer | RepeatTimer | LoopTimer | CountdownTimer


@dataclass(frozen=True)
class Unreadable:
    """An element this module does not understand: shown raw, saved back untouched."""

    raw: Any
    reason: str

    @property
    def mid(self) -> str | None:
        """The element's mId if it has a usable one (it can still be deleted or toggled)."""
        mid = self.raw.get("mId") if isinstance(self.raw, dict) else None
        return mid if isinstance(mid, str) and mid else None


@dataclass(frozen=True)
class Channels:
    """The relays a timer can drive: empty ``names`` = one ``switch``, else outlets 0..n-1."""

    names: tuple[str, ...] = ()

    @property
    def multi(self) -> bool:
        """Whether actions go through ``switches[]`` (then loop timers are not possible)."""
        return bool(self.names)

    def label(self, outlet: int) -> str:
        """The channel's name for descriptions, "channel n" when unknown."""
        if 0 <= outlet < len(self.names) and self.names[outlet]:
            return self.names[outlet]
        return f"channel {outlet + 1}"


SINGLE = Channels()


def channels_for(plugin: DevicePlugin, params: Params, tags: Params) -> Channels | None:
    """What the plugin's controls say a timer can switch; None = no timers for this device.

    A ``switch`` toggle is a single relay; ``switch_<n>`` toggles with a channel are the
    outlets of ``switches[]``, named as the card names them (``tags.ck_channel_name``).
    """
    toggles = [c for c in plugin.controls(params, tags) if c.kind == "toggle"]
    outlets = sorted(
        (c.channel, c.label)
        for c in toggles
        if re.fullmatch(r"switch_\d+", c.name) and c.channel is not None
    )
    if outlets:
        if [o for o, _ in outlets] != list(range(len(outlets))):
            return None
        return Channels(names=tuple(label for _, label in outlets))
    if any(c.name == "switch" for c in toggles) and _drives_switch(plugin, params, tags):
        return SINGLE
    return None


def _drives_switch(plugin: DevicePlugin, params: Params, tags: Params) -> bool:
    # Timers send {"switch": "on"}; a device powered by another key (lights' `state`) or by
    # booleans (CK-BL602) would get a timer it cannot run.
    try:
        return plugin.command("switch", True, params, tags) == {"switch": "on"}
    except ValueError:
        return False


# --- encoding ----------------------------------------------------------------------------


def to_cloud(timer: Timer, tz: ZoneInfo, now: datetime) -> Element:
    """The document's element for ``timer``: UTC times, its mId kept, or a new uuid4.

    ``now`` must be aware. Repeat timers become a cron "m h * * dow" in UTC; a cron in UTC
    cannot follow daylight saving, so we use the zone's offset at the timer's next
    occurrence after ``now``: it fires at the right local time until the clocks change,
    then off by the daylight-saving step until it is saved again. The weekdays shift when
    the UTC day differs from the local day (Monday 00:30 in Berlin is Sunday 23:30 UTC →
    dow 0).
    """
    head: Element = {"enabled": int(timer.enabled), "mId": timer.mid or str(uuid.uuid4())}
    if isinstance(timer, OnceTimer):
        at = iso_utc(_aware(timer.when, tz))
        return {**head, "type": "once", "at": at, **_do(timer.action), "coolkit_timer_type": "once"}
    if isinstance(timer, RepeatTimer):
        cron = repeat_cron(timer.weekdays, timer.at, tz, now)
        return {
            **head,
            "type": "repeat",
            "at": cron,
            **_do(timer.action),
            "coolkit_timer_type": "repeat",
        }
    if isinstance(timer, LoopTimer):
        at = f"{iso_utc(_aware(timer.start, tz))} {timer.first_minutes} {timer.second_minutes}"
        return {
            **head,
            "type": "duration",
            "at": at,
            "startDo": action_params(timer.start_do),
            "endDo": action_params(timer.end_do),
            "coolkit_timer_type": "duration",
        }
    due = _utc(now) + timedelta(minutes=timer.minutes)
    return {
        **head,
        "type": "once",
        "at": iso_utc(due),
        **_do(timer.action),
        "period": str(timer.minutes),
        "coolkit_timer_type": "delay",
    }


def action_params(action: Action) -> Element:
    """``{"switch": "on"}`` or ``{"switches": [{"switch": "off", "outlet": 1}]}``."""
    if action.switch is not None:
        return {"switch": _word(action.switch)}
    return {"switches": [{"switch": _word(on), "outlet": o} for o, on in action.outlets]}


def iso_utc(moment: datetime) -> str:
    """ "2017-07-24T08:28:00.000Z": UTC with milliseconds, as the document writes it."""
    moment = _utc(moment)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def repeat_cron(weekdays: frozenset[int], at: time, tz: ZoneInfo, now: datetime) -> str:
    """The UTC cron for local ``weekdays`` at local ``at``, with the offset of the next run."""
    local_day = _next_local_run(weekdays, at, tz, now)
    local = datetime.combine(local_day, at).replace(tzinfo=tz)
    moment = local.astimezone(UTC)
    shift = (moment.date() - local_day).days
    days = sorted({(_cron_day(day) + shift) % 7 for day in weekdays})
    return f"{moment.minute} {moment.hour} * * {','.join(map(str, days))}"


def _next_local_run(weekdays: frozenset[int], at: time, tz: ZoneInfo, now: datetime) -> date:
    today = _utc(now).astimezone(tz).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if day.weekday() in weekdays and _aware(datetime.combine(day, at), tz) > now:
            return day
    raise TimerError("Choose at least one weekday")


def _do(action: Action) -> Element:
    return {"do": action_params(action)}


# --- decoding ----------------------------------------------------------------------------

_KEYS = {
    "once": {"enabled", "mId", "type", "at", "do", "coolkit_timer_type"},
    "repeat": {"enabled", "mId", "type", "at", "do", "coolkit_timer_type"},
    "loop": {"enabled", "mId", "type", "at", "startDo", "endDo", "coolkit_timer_type"},
    "countdown": {"enabled", "mId", "type", "at", "do", "period", "coolkit_timer_type"},
}
_KINDS: dict[tuple[Any, Any], str] = {
    ("once", "once"): "once",
    ("repeat", "repeat"): "repeat",
    ("duration", "duration"): "loop",
    ("once", "delay"): "countdown",
}
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
_CRON = re.compile(r"^(\d{1,2}) (\d{1,2}) \* \* ([0-7](?:[-,][0-7])*|\*)$")


class _Unread(Exception):
    """Inside the decoder: why an element cannot be read."""


def from_cloud(element: Any, tz: ZoneInfo, now: datetime | None = None) -> Timer | Unreadable:
    """The timer an element describes, in local time; anything else is kept as Unreadable.

    ``now`` picks the daylight-saving offset for repeat timers as ``to_cloud`` does.
    """
    try:
        return _decode(element, tz, now or datetime.now(UTC))
    except _Unread as problem:
        return Unreadable(raw=element, reason=str(problem))


def from_cloud_all(
    array: Any, tz: ZoneInfo, now: datetime | None = None
) -> list[Timer | Unreadable]:
    """Every element of a device's ``timers`` array, in order."""
    return [from_cloud(element, tz, now) for element in _as_list(array)]


def _decode(element: Any, tz: ZoneInfo, now: datetime) -> Timer:
    if not isinstance(element, dict):
        raise _Unread("not an object")
    types = (element.get("type"), element.get("coolkit_timer_type", element.get("type")))
    kind = _KINDS.get(types)
    if kind is None:
        raise _Unread(f"unknown type {types[0]!r}/{types[1]!r}")
    extra = sorted(set(element) - _KEYS[kind])
    if extra:
        raise _Unread(f"unknown fields {', '.join(extra)}")
    enabled, mid, at = element.get("enabled"), element.get("mId"), element.get("at")
    if isinstance(enabled, bool) or enabled not in (0, 1):
        raise _Unread("enabled is not 0 or 1")
    if not isinstance(mid, str) or not mid:
        raise _Unread("no mId")
    if not isinstance(at, str):
        raise _Unread("no time")
    common = {"enabled": enabled == 1, "mid": mid}
    if kind == "once":
        return OnceTimer(when=_local(at, tz), action=_action(element.get("do")), **common)
    if kind == "countdown":
        minutes = _minutes(element.get("period"))
        action = _action(element.get("do"))
        return CountdownTimer(minutes=minutes, action=action, due=_local(at, tz), **common)
    if kind == "loop":
        return _decode_loop(element, at, tz, common)
    weekdays, local_time = _decode_cron(at, tz, now)
    return RepeatTimer(weekdays, local_time, _action(element.get("do")), **common)


def _decode_loop(element: Element, at: str, tz: ZoneInfo, common: dict[str, Any]) -> LoopTimer:
    parts = at.split(" ")
    if len(parts) != 3:
        raise _Unread("loop time is not 'start m1 m2'")
    return LoopTimer(
        start=_local(parts[0], tz),
        first_minutes=_minutes(parts[1]),
        second_minutes=_minutes(parts[2]),
        start_do=_action(element.get("startDo")),
        end_do=_action(element.get("endDo")),
        **common,
    )


def _decode_cron(at: str, tz: ZoneInfo, now: datetime) -> tuple[frozenset[int], time]:
    match = _CRON.match(at)
    if match is None:
        raise _Unread(f"repeat time {at!r} is not 'm h * * dow'")
    minute, hour = int(match.group(1)), int(match.group(2))
    if minute > 59 or hour > 23:
        raise _Unread(f"repeat time {at!r} is out of range")
    cron_days = _cron_days(match.group(3))
    # Same rule as to_cloud: the offset of the next run, so a decoded timer saves unchanged.
    moment = _next_utc_run(cron_days, time(hour, minute), now)
    local = moment.astimezone(tz)
    shift = (local.date() - moment.date()).days
    weekdays = frozenset((_py_day(day) + shift) % 7 for day in cron_days)
    return weekdays, local.time().replace(tzinfo=None)


def _cron_days(field: str) -> set[int]:
    if field == "*":
        return set(range(7))
    days: set[int] = set()
    for part in field.split(","):
        low, _, high = part.partition("-")
        if high and int(high) < int(low):
            raise _Unread(f"weekday range {part!r} runs backwards")
        days.update(day % 7 for day in range(int(low), int(high or low) + 1))  # 7 = Sunday
    return days


def _next_utc_run(cron_days: set[int], at: time, now: datetime) -> datetime:
    today = _utc(now).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        moment = datetime.combine(day, at, tzinfo=UTC)
        if _cron_day(day.weekday()) in cron_days and moment > now:
            return moment
    raise _Unread("repeat timer has no weekday")


def _action(value: Any) -> Action:
    if not isinstance(value, dict):
        raise _Unread("no action")
    if set(value) == {"switch"}:
        return Action(switch=_on(value["switch"]))
    items = value.get("switches") if set(value) == {"switches"} else None
    if not isinstance(items, list) or not items:
        raise _Unread(f"unknown action {_compact(value)}")
    outlets: list[tuple[int, bool]] = []
    for item in items:
        if not isinstance(item, dict) or set(item) != {"switch", "outlet"}:
            raise _Unread(f"unknown action {_compact(value)}")
        outlet = item["outlet"]
        if isinstance(outlet, bool) or not isinstance(outlet, int) or outlet < 0:
            raise _Unread(f"bad outlet {outlet!r}")
        outlets.append((outlet, _on(item["switch"])))
    return Action(outlets=tuple(outlets))


def _on(word: Any) -> bool:
    if word not in ("on", "off"):
        raise _Unread(f"switch value {word!r} is not on/off")
    return bool(word == "on")


def _local(stamp: str, tz: ZoneInfo) -> datetime:
    if not _ISO.match(stamp):
        raise _Unread(f"time {stamp!r} is not ISO UTC")
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError as error:
        raise _Unread(f"time {stamp!r} is not a date") from error
    return moment.astimezone(tz).replace(tzinfo=None)


def _minutes(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _Unread(f"minutes {value!r} are not a whole number")


# --- description -------------------------------------------------------------------------


def describe(item: Timer | Unreadable, channels: Channels = SINGLE) -> str:
    """One line in the household's zone: "Every Mon, Wed at 08:36 → on"."""
    if isinstance(item, Unreadable):
        return f"Unreadable timer ({item.reason}): {_compact(item.raw)}"
    if isinstance(item, OnceTimer):
        return f"Once on {_day(item.when)} at {item.when:%H:%M} → {_say(item.action, channels)}"
    if isinstance(item, RepeatTimer):
        return f"{_days(item.weekdays)} at {item.at:%H:%M} → {_say(item.action, channels)}"
    if isinstance(item, LoopTimer):
        first, second = _say(item.start_do, channels), _say(item.end_do, channels)
        return (
            f"Every {item.first_minutes} min {first} / {item.second_minutes} min {second}"
            f" from {_day(item.start)} at {item.start:%H:%M}"
        )
    due = f" (at {item.due:%H:%M})" if item.due else ""
    return f"In {item.minutes} min{due} → {_say(item.action, channels)}"


def _say(action: Action, channels: Channels) -> str:
    if action.switch is not None:
        return _word(action.switch)
    return ", ".join(f"{channels.label(o)} {_word(on)}" for o, on in action.outlets)


def _days(weekdays: frozenset[int]) -> str:
    if weekdays == frozenset(range(7)):
        return "Every day"
    return "Every " + ", ".join(WEEKDAY_NAMES[d] for d in sorted(weekdays))


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


# --- validation --------------------------------------------------------------------------


def validated(timer: Timer, channels: Channels, tz: ZoneInfo, now: datetime) -> Timer:
    """``timer`` if the device can run it as the person means it, else a TimerError."""
    for action in _actions(timer):
        _check_action(action, channels)
    if isinstance(timer, OnceTimer):
        _check_exists(timer.when, tz)
        if _aware(timer.when, tz) <= now:
            raise TimerError(f"{_day(timer.when)} at {timer.when:%H:%M} is in the past")
    elif isinstance(timer, RepeatTimer):
        if not timer.weekdays:
            raise TimerError("Choose at least one weekday")
        if not timer.weekdays <= frozenset(range(7)):
            raise TimerError("Weekdays run from Monday to Sunday")
    elif isinstance(timer, LoopTimer):
        if channels.multi:
            raise TimerError("Multi-channel devices do not support loop timers")
        _check_exists(timer.start, tz)
        _check_minutes("Each loop phase", timer.first_minutes, LOOP_MINUTES)
        _check_minutes("Each loop phase", timer.second_minutes, LOOP_MINUTES)
    else:
        _check_minutes("A countdown", timer.minutes, COUNTDOWN_MINUTES)
    return timer


def _actions(timer: Timer) -> tuple[Action, ...]:
    if isinstance(timer, LoopTimer):
        return (timer.start_do, timer.end_do)
    return (timer.action,)


def _check_action(action: Action, channels: Channels) -> None:
    if not channels.multi:
        if action.switch is None or action.outlets:
            raise TimerError("This device has one switch: choose on or off, not a channel")
        return
    if action.switch is not None or not action.outlets:
        raise TimerError("Choose which channel the timer switches")
    count = len(channels.names)
    seen: set[int] = set()
    for outlet, _state in action.outlets:
        if isinstance(outlet, bool) or not 0 <= outlet < count:
            raise TimerError(f"Channel {outlet + 1} does not exist: this device has 1 to {count}")
        if outlet in seen:
            raise TimerError(f"Channel {outlet + 1} is chosen twice")
        seen.add(outlet)


def _check_minutes(what: str, minutes: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
        raise TimerError(f"{what} must be {low} to {high} minutes")


def _check_exists(moment: datetime, tz: ZoneInfo) -> None:
    # A wall-clock time skipped when the clocks go forward has no UTC time to send.
    back = _aware(moment, tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != moment.replace(tzinfo=None):
        raise TimerError(f"{moment:%H:%M} does not exist on {_day(moment)} in {tz.key}")


# --- whole-array operations --------------------------------------------------------------


def add(array: Any, element: Element) -> list[Any]:
    """The array with ``element`` appended, if the device has room and the mId is new."""
    current = _as_list(array)
    if len(current) >= MAX_TIMERS:
        raise TimerError(f"A device holds at most {MAX_TIMERS} timers: delete one first")
    if _indexes(current, element.get("mId")):
        raise TimerError("A timer with this id already exists")
    return [*current, element]


def replace_timer(array: Any, mid: str, element: Element) -> list[Any]:
    """The array with the timer ``mid`` replaced in place by ``element`` (same mId)."""
    if element.get("mId") != mid:
        raise TimerError("An edited timer must keep its id")
    current = _as_list(array)
    index = _index(current, mid)
    return [*current[:index], element, *current[index + 1 :]]


def delete(array: Any, mid: str) -> list[Any]:
    """The array without the timer ``mid``."""
    current = _as_list(array)
    index = _index(current, mid)
    return [*current[:index], *current[index + 1 :]]


def set_enabled(array: Any, mid: str, enabled: bool) -> list[Any]:
    """The array with only the ``enabled`` flag of timer ``mid`` changed."""
    current = _as_list(array)
    index = _index(current, mid)
    changed = {**current[index], "enabled": int(enabled)}
    return [*current[:index], changed, *current[index + 1 :]]


def _index(array: list[Any], mid: str) -> int:
    found = _indexes(array, mid)
    if not found:
        raise TimerError("That timer is no longer on the device")
    if len(found) > 1:
        raise TimerError("Several timers share this id; the editor cannot tell them apart")
    return found[0]


def _indexes(array: list[Any], mid: Any) -> list[int]:
    if not isinstance(mid, str) or not mid:
        return []
    return [i for i, t in enumerate(array) if isinstance(t, dict) and t.get("mId") == mid]


def _as_list(array: Any) -> list[Any]:
    # A device that never had timers has no `timers` key at all.
    if array is None:
        return []
    if not isinstance(array, list):
        raise TimerError("The device's timers are not a list; refusing to overwrite them")
    return list(array)


# --- concurrency -------------------------------------------------------------------------


def fingerprint(array: Any) -> str:
    """A stable hash of the timers as loaded (key order ignored: JSONB does not keep it)."""
    canonical = json.dumps(
        [] if array is None else array, sort_keys=True, separators=(",", ":"), default=repr
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_unchanged(loaded_fingerprint: str, current_array: Any) -> None:
    """Refuse a save when the device's timers differ from those the editor loaded."""
    if fingerprint(current_array) != loaded_fingerprint:
        raise TimersChanged(
            "The timers changed since you opened the editor; reload to see them, then try again"
        )


# --- permits -----------------------------------------------------------------------------


def rights_needed(old: Any, new: Any) -> int:
    """The permit bits needed to turn ``old`` into ``new``, judged by mId as the cloud does."""
    before, after = _by_mid(old), _by_mid(new)
    needed = 0
    if after.keys() - before.keys():
        needed |= CREATE
    if before.keys() - after.keys():
        needed |= DELETE
    for mid in before.keys() & after.keys():
        was, now = before[mid], after[mid]
        if was.get("enabled") != now.get("enabled"):
            needed |= ENABLE
        if _without_enabled(was) != _without_enabled(now):
            needed |= EDIT
    return needed


def allowed(permit: int | None) -> set[str]:
    """Operations the editor may offer: None = our own device, everything."""
    bits = ALL_RIGHTS if permit is None else permit
    return {name for bit, name in RIGHT_NAMES.items() if bits & bit}


def check_permit(permit: int | None, old: Any, new: Any) -> None:
    """Raise PermitError naming each right the change needs and the permit lacks."""
    if permit is None:
        return
    lacking = [n for bit, n in RIGHT_NAMES.items() if rights_needed(old, new) & ~permit & bit]
    if lacking:
        rights = " or ".join(lacking)
        raise PermitError(f"The owner's share does not let you {rights} timers on this device")


def _by_mid(timers: Any) -> dict[str, Element]:
    if not isinstance(timers, list):
        return {}
    return {t["mId"]: t for t in timers if isinstance(t, dict) and isinstance(t.get("mId"), str)}


def _without_enabled(timer: Element) -> Element:
    return {k: v for k, v in timer.items() if k != "enabled"}


# --- small helpers -----------------------------------------------------------------------


def _aware(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive local wall-clock time in ``tz`` (an aware one is just converted)."""
    return local.astimezone(tz) if local.tzinfo else local.replace(tzinfo=tz)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")  # a caller's bug, not the person's
    return moment.astimezone(UTC)


def _word(on: bool) -> str:
    return "on" if on else "off"


def _cron_day(weekday: int) -> int:
    """Python's weekday (0 = Monday) as cron's (0 = Sunday)."""
    return (weekday + 1) % 7


def _py_day(cron_day: int) -> int:
    return (cron_day - 1) % 7


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False, default=repr)
