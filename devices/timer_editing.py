"""Editing a device's timers from its page: add, edit, delete, enable or disable one timer.

The cloud takes `params.timers` only whole, so every change sends the whole new array
(devices.timers builds it). A change is refused, and nothing is sent, when the device's
timers are not the ones the editor loaded (someone else, or the app, changed them), when the
person's role is below member, or when the share of a device shared with us lacks the right.

Nothing is written locally: the cloud pushes the device's `update` to the worker's socket,
which stores it and announces a `details` event that redraws the timers panel everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from accounts.models import Membership, Role
from dashboard.when import zone_named
from devices import timers
from devices.models import Thing, ThingKind
from devices.plugins.base import DevicePlugin
from devices.presentation import plugin_for
from devices.thing_actions import ActionFailed, perform
from devices.thing_settings import require

NO_TIMERS = "This device has no timers the dashboard can edit."
WHAT = "Changing timers"


def zone_of(thing: Thing) -> ZoneInfo:
    """The household's zone, as a ZoneInfo (the codec names it in its messages)."""
    zone = zone_named(thing.household.time_zone)
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def permit_of(thing: Thing) -> int | None:
    """The share's permit bits on a device shared with us; None for our own device."""
    if not thing.is_shared_with_us:
        return None
    info = thing.shared_by if isinstance(thing.shared_by, dict) else {}
    permit = info.get("permit")
    # No readable permit: allow nothing rather than guess (the cloud would refuse anyway).
    return permit if isinstance(permit, int) and not isinstance(permit, bool) else 0


def channels_of(thing: Thing, plugin: DevicePlugin | None = None) -> timers.Channels | None:
    """What a timer can switch on this thing; None for groups and devices without timers."""
    if thing.kind != ThingKind.DEVICE:
        return None
    plugin = plugin or plugin_for(thing)
    return timers.channels_for(plugin, thing.params or {}, thing.tags or {})


def require_editor(actor: Membership) -> None:
    """Members and up edit timers; guests never."""
    require(actor, Role.MEMBER, WHAT)


def current_array(thing: Thing) -> Any:
    return (thing.params or {}).get("timers")


def describe(thing: Thing, mid: str) -> str:
    """The timer `mid` of the thing in words (for the question before deleting it)."""
    channels = channels_of(thing)
    if channels is None:
        raise ActionFailed(NO_TIMERS)
    try:
        items = timers.from_cloud_all(current_array(thing), zone_of(thing), datetime.now(UTC))
    except timers.TimerError as exc:
        raise ActionFailed(f"{exc}.") from None
    for item in items:
        if item.mid == mid:
            return timers.describe(item, channels)
    raise ActionFailed("That timer is no longer on the device; the page shows its timers now.")


def add(actor: Membership, thing: Thing, timer: timers.Timer, seen: str) -> None:
    def build(array: Any, channels: timers.Channels, tz: ZoneInfo, now: datetime) -> list[Any]:
        element = timers.to_cloud(timers.validated(timer, channels, tz, now), tz, now)
        return timers.add(array, element)

    _save(actor, thing, seen, build, {"change": "add", "kind": timer.kind})


def edit(actor: Membership, thing: Thing, mid: str, timer: timers.Timer, seen: str) -> None:
    def build(array: Any, channels: timers.Channels, tz: ZoneInfo, now: datetime) -> list[Any]:
        element = timers.to_cloud(timers.validated(timer, channels, tz, now), tz, now)
        return timers.replace_timer(array, mid, element)

    _save(actor, thing, seen, build, {"change": "edit", "mId": mid, "kind": timer.kind})


def delete(actor: Membership, thing: Thing, mid: str, seen: str) -> None:
    def build(array: Any, *_: Any) -> list[Any]:
        return timers.delete(array, mid)

    _save(actor, thing, seen, build, {"change": "delete", "mId": mid})


def set_enabled(actor: Membership, thing: Thing, mid: str, enabled: bool, seen: str) -> None:
    def build(array: Any, *_: Any) -> list[Any]:
        return timers.set_enabled(array, mid, enabled)

    change = "enable" if enabled else "disable"
    _save(actor, thing, seen, build, {"change": change, "mId": mid})


Build = Callable[[Any, timers.Channels, ZoneInfo, datetime], list[Any]]


def _save(actor: Membership, thing: Thing, seen: str, build: Build, detail: dict[str, Any]) -> None:
    """Check role, device, freshness and permit; send the whole new array to the cloud."""
    require_editor(actor)
    channels = channels_of(thing)
    if channels is None:
        raise ActionFailed(NO_TIMERS)
    old = current_array(thing)
    try:
        timers.check_unchanged(seen, old)
        new = build(old, channels, zone_of(thing), datetime.now(UTC))
        timers.check_permit(permit_of(thing), old, new)
    except timers.TimerError as exc:
        raise ActionFailed(str(exc) + ".") from None

    async def call(client: Any) -> None:
        await client.set_status(thing.cloud_id, {"timers": new})

    # The device's `update` comes back through the worker's socket and is stored there.
    perform(actor, thing, "timers", call, detail=detail)
