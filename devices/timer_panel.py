"""The timers panel of a thing page: the device's timers in words, and the editor's forms.

What is offered follows the viewer's role (members and up edit) and, on a device shared
with us, the share's permit; devices.timer_editing checks both again on every save.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from devices import timer_editing, timers
from devices.models import Thing, ThingKind
from devices.plugins.base import DevicePlugin
from devices.timer_form import KINDS, action_choices, initial

if TYPE_CHECKING:
    from devices.thing_page import Viewer

WEEKDAYS = tuple(enumerate(timers.WEEKDAY_NAMES))


@dataclass(frozen=True)
class Row:
    """One timer as the panel lists it."""

    key: str  # unique in the page: the mId, or the position for an element without one
    mid: str | None
    words: str
    enabled: bool
    readable: bool
    kind: str
    values: dict[str, Any]


def timers_panel(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    if thing.kind == ThingKind.GROUP:
        return {"supported": False, "why": "Groups have no timers of their own."}
    channels = timer_editing.channels_of(thing, plugin)
    if channels is None:
        return {"supported": False, "why": "This device has no timers the dashboard can edit."}
    array = timer_editing.current_array(thing)
    tz = timer_editing.zone_of(thing)
    try:
        items = timers.from_cloud_all(array, tz, datetime.now(UTC))
    except timers.TimerError as exc:
        return {"supported": False, "why": f"{exc}."}
    permit = timer_editing.permit_of(thing)
    rights = timers.allowed(permit) if viewer.may_control else set()
    return {
        "supported": True,
        "rows": [_row(index, item, channels) for index, item in enumerate(items)],
        "fingerprint": timers.fingerprint(array),
        "zone": tz.key,
        "rights": sorted(rights),
        "shared_permit": permit,
        "full": len(items) >= timers.MAX_TIMERS,
        "max_timers": timers.MAX_TIMERS,
        "kinds": [k for k in KINDS if not (k[0] == "loop" and channels.multi)],
        "actions": action_choices(channels),
        "single": not channels.multi,
        "weekdays": WEEKDAYS,
    }


def _row(index: int, item: timers.Timer | timers.Unreadable, channels: timers.Channels) -> Row:
    if isinstance(item, timers.Unreadable):
        raw = item.raw if isinstance(item.raw, dict) else {}
        return Row(
            key=item.mid or f"raw{index}",
            mid=item.mid,
            words=timers.describe(item, channels),
            enabled=raw.get("enabled") == 1,
            readable=False,
            kind="",
            values={},
        )
    return Row(
        key=item.mid or f"t{index}",
        mid=item.mid,
        words=timers.describe(item, channels),
        enabled=item.enabled,
        readable=True,
        kind=item.kind,
        values=initial(item),
    )
