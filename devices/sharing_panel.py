"""The thing page's sharing panel: with whom an own device is shared, or who shares it with us."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from devices.models import Share, Thing, ThingKind
from devices.plugins.base import DevicePlugin
from devices.sharing import PERMITS, permit_words

if TYPE_CHECKING:  # thing_page registers this panel, so it cannot be imported from here
    from devices.thing_page import Viewer


def sharing(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    if thing.kind == ThingKind.GROUP:
        return {"is_group": True}
    if thing.is_shared_with_us:
        return {"sharer": sharer(thing)}
    rows = [
        {
            "share": share,
            "who": share.to_identifier or share.to_nickname or "an eWeLink user",
            "nickname": share.to_nickname if share.to_identifier else "",
            "rights": permit_words(share.permit),
            "boxes": [(bit, words, bool(share.permit & bit)) for bit, words in PERMITS],
        }
        for share in Share.objects.filter(thing=thing)
    ]
    return {"shares": rows, "permits": PERMITS}


def sharer(thing: Thing) -> dict[str, Any]:
    """Who shares the device with us, what they let us do, and since when (thing.shared_by)."""
    info = thing.shared_by if isinstance(thing.shared_by, dict) else {}
    permit = info.get("permit")
    when = info.get("shareTime")
    return {
        "who": str(info.get("email") or info.get("phoneNumber") or info.get("nickname") or "")
        or "its owner",
        "nickname": str(info.get("nickname") or ""),
        "rights": permit_words(permit if isinstance(permit, int) else 0),
        "since": datetime.fromtimestamp(when / 1000, tz=UTC)
        if isinstance(when, int | float) and when > 0
        else None,
    }
