"""A thing's own page, drawn in panels: each panel is a template with its own context.

The page draws every panel; after a change (a `structure` event naming the thing, or a
`details` event from the worker when the device reported a setting, timers or firmware)
each open thing page gets its panels again as fragments (devices.fragments, view "thing"),
drawn for the role of the person looking at it. A panel's context function is registered
in PANELS: the timers, firmware and sharing panels live in their own modules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from accounts.models import ROLE_RANK, Role
from dashboard.when import in_words
from devices.firmware_panel import firmware
from devices.models import Room, Thing, ThingAction, ThingKind
from devices.plugins.base import DevicePlugin
from devices.presentation import card_for, plugin_for
from devices.sharing_panel import sharing
from devices.thing_settings import NOTIFY_SETTINGS, notification_values

# What common params mean; a plugin's readings name the rest. Anything else is shown raw.
PARAM_LABELS = {
    "switch": "Power",
    "switches": "Channels",
    "startup": "Power-on state",
    "configure": "Power-on states",
    "pulse": "Inching",
    "pulseWidth": "Inching width (ms)",
    "pulses": "Inching per channel",
    "sledOnline": "LED indicator",
    "rssi": "Wi-Fi signal (dBm)",
    "fwVersion": "Firmware version",
    "timers": "Timers",
    "battery": "Battery (%)",
    "uiActive": "Live reporting (s)",
}


@dataclass(frozen=True)
class Viewer:
    """Who is looking: what the page offers them (the services check again)."""

    role: str

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]

    @property
    def may_control(self) -> bool:
        return self.at_least(Role.MEMBER)

    @property
    def may_manage(self) -> bool:
        return self.at_least(Role.ADMIN)


Panel = Callable[[Thing, DevicePlugin, Viewer], dict[str, Any]]


def overview(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    return {
        "card_html": card_for(thing, plugin).render(),
        "params": param_rows(thing, plugin),
        "last_report": in_words(thing.last_update_at) if thing.last_update_at else "never",
        "shared_by": _shared_by(thing),
        "shared_with": [
            s.to_identifier or s.to_nickname or s.to_apikey for s in thing.shares.all()
        ],
    }


def settings(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    rooms = list(Room.objects.filter(home_id=thing.home_id)) if thing.home_id else []
    channels = _channels(thing, plugin)
    seen_names = {
        str(k): str(v) for k, v in ((thing.tags or {}).get("ck_channel_name") or {}).items()
    }
    notify = notification_values(thing)
    return {
        "rooms": rooms,
        "channels": channels,
        "seen_channel_names": json.dumps(seen_names, sort_keys=True),
        "notify": [(key, label, notify[key]) for key, label in NOTIFY_SETTINGS],
        "seen_notify": json.dumps(notify, sort_keys=True),
        "options": plugin.options(thing.params, thing.tags)
        if thing.kind == ThingKind.DEVICE
        else [],
        "is_group": thing.kind == ThingKind.GROUP,
    }


ACTION_WORDS = {
    "rename": "renamed it",
    "move": "moved it",
    "channel_names": "named its channels",
    "notifications": "changed its notifications",
    "option": "changed an option",
    "clear_history": "cleared its history",
    "timers": "changed its timers",
    "ota_check": "checked for new firmware",
    "upgrade": "upgraded its firmware",
    "share": "shared it",
    "share_permit": "changed a share's rights",
    "unshare": "stopped sharing it",
    "all_on": "switched it on with others",
    "all_off": "switched it off with others",
}


def activity(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    actions = list(ThingAction.objects.filter(thing=thing).select_related("user")[:20])
    for action in actions:
        action.words = ACTION_WORDS.get(action.action, action.action)  # type: ignore[attr-defined]
    return {"actions": actions}


def danger(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    return {"history_count": thing.history.count()}


def _timers_panel(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    from devices.timer_panel import timers_panel  # it needs Viewer from here

    return timers_panel(thing, plugin, viewer)


def _readings_panel(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    from readings.panels import readings_panel  # readings imports devices

    return readings_panel(thing, plugin, viewer)


def _energy_panel(thing: Thing, plugin: DevicePlugin, viewer: Viewer) -> dict[str, Any]:
    from readings.panels import energy_panel

    return energy_panel(thing, plugin, viewer)


# Panel name → context; the template is things/_<name>.html, its fragment "thing-<name>".
PANELS: dict[str, Panel] = {
    "overview": overview,
    "readings": _readings_panel,
    "energy": _energy_panel,
    "settings": settings,
    "timers": _timers_panel,
    "firmware": firmware,
    "sharing": sharing,
    "activity": activity,
    "danger": danger,
}
# Panels a device's own report can change (state, energy, settings, timers, firmware): redrawn on a
# `details` event; the others only on a structure change.
LIVE_PANELS = ("overview", "energy", "settings", "timers", "firmware")
# What a page asks to redraw: after a state report its overview, after new details the live
# panels, after a structure change all of them.
PANEL_SETS = {"overview": ("overview",), "live": LIVE_PANELS}


def param_rows(thing: Thing, plugin: DevicePlugin) -> list[tuple[str, str, str]]:
    """(key, label, value) for every param the device reports, known or not."""
    labels = dict(PARAM_LABELS)
    for reading in plugin.readings:
        if reading.param:
            unit = f" ({reading.unit})" if reading.unit else ""
            labels[reading.param] = f"{reading.label}{unit}"
    rows = []
    for key, value in sorted((thing.params or {}).items()):
        rows.append((key, labels.get(key, key), _shown(key, value)))
    return rows


def _shown(key: str, value: Any) -> str:
    if key == "timers" and isinstance(value, list):
        enabled = sum(1 for t in value if isinstance(t, dict) and t.get("enabled") == 1)
        return f"{len(value)} ({enabled} enabled)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _shared_by(thing: Thing) -> str:
    info = thing.shared_by if isinstance(thing.shared_by, dict) else {}
    return str(info.get("email") or info.get("phoneNumber") or info.get("nickname") or "")


def _channels(thing: Thing, plugin: DevicePlugin) -> list[tuple[int, str]]:
    """(outlet, name) of a multi-channel device; empty for one channel."""
    controls = [
        c for c in plugin.controls(thing.params, thing.tags) if c.name.startswith("switch_")
    ]
    if len(controls) < 2:
        return []
    names = (thing.tags or {}).get("ck_channel_name") or {}
    return [(c.channel or 0, str(names.get(str(c.channel), ""))) for c in controls]


def page_thing(pk: int) -> Thing | None:
    """The thing with what its panels read (inside the household's scope)."""
    return Thing.objects.select_related("account", "home", "room").filter(pk=pk).first()


def panel_html(
    name: str, thing: Thing, plugin: DevicePlugin, viewer: Viewer, request: Any = None
) -> str:
    """One panel; with the page's request its forms carry their CSRF token (drawn live,
    the page script adds the page's own)."""
    order = f"{list(PANELS).index(name):02d}"  # the panel's place, for a page that lacks it
    context = {"thing": thing, "plugin": plugin, "viewer": viewer, "order": order}
    context.update(PANELS[name](thing, plugin, viewer))
    return render_to_string(f"things/_{name}.html", context, request=request)


def panels(thing: Thing, viewer: Viewer, request: Any = None) -> dict[str, str]:
    """Every panel of the page, drawn."""
    plugin = plugin_for(thing)
    return {name: panel_html(name, thing, plugin, viewer, request) for name in PANELS}


def thing_fragments(change: Any, params: Mapping[str, str]) -> list[Any]:
    """The thing page's panels after a change naming its thing (view "thing")."""
    from devices.fragments import Fragment

    raw = params.get("thing", "")
    if not raw.isdigit() or int(raw) not in change.things:
        return []
    thing = page_thing(int(raw))
    if thing is None:
        html = render_to_string("things/_gone.html", {})
        return [Fragment("thing-main", "", "", html)]
    viewer = Viewer(params.get("role") or Role.GUEST)
    names = PANEL_SETS.get(params.get("panels", ""), tuple(PANELS))
    plugin = plugin_for(thing)
    order = list(PANELS)
    return [
        Fragment(f"thing-{name}", "thing-main", f"{order.index(name):02d}",
                 panel_html(name, thing, plugin, viewer))
        for name in names
    ]  # fmt: skip
