"""A device's own options (power-on state, inching, LED), declared by its plugin.

A plugin lists the options its UIIDs have in ``DevicePlugin.option_names``; the thing page
offers each one the device actually reports (a firmware without ``pulse`` gets no inching
field) and turns a changed value into the params to send. Single-channel devices use
``startup``/``pulse``/``pulseWidth``; multi-channel ones the outlet arrays ``configure`` and
``pulses``, which are sent whole (notes §3, "Arrays that must be sent whole").
"""

from __future__ import annotations

from typing import Any

from devices.plugins.arrays import _index
from devices.plugins.base import Control, InvalidControl, Params, validate
from devices.plugins.values import as_dict, channel_name

POWER_ON = "power_on"
INCHING = "inching"
LED = "led"
STARTUP_CHOICES = (("on", "On"), ("off", "Off"), ("stay", "As before the power cut"))
# Inching width: 0.5 s to one hour in steps of 0.5 s (the device refuses anything else).
INCHING_MAX_S = 3600


def available(names: tuple[str, ...], params: Params, tags: Params) -> list[Control]:
    """The declared options this device reports, each with its current value."""
    params = as_dict(params)
    found: list[Control] = []
    if POWER_ON in names:
        found += _power_on(params, tags)
    if INCHING in names:
        found += _inching(params, tags)
    if LED in names and "sledOnline" in params:
        found.append(
            Control("led", "toggle", "LED indicator", value=params.get("sledOnline") == "on")
        )
    return found


def option_params(
    names: tuple[str, ...], name: str, value: Any, params: Params, tags: Params
) -> Params:
    """Validate `value` for option `name` and build the params to send."""
    control = next((c for c in available(names, params, tags) if c.name == name), None)
    if control is None:
        raise InvalidControl("This device has no such option.")
    checked = validate(control, value)
    params = as_dict(params)
    if name == "led":
        return {"sledOnline": "on" if checked else "off"}
    if name == "startup":
        return {"startup": checked}
    if name.startswith("startup_"):
        return {"configure": _whole(params, "configure", control.channel, {"startup": checked})}
    width_ms = round(float(checked) * 1000)
    if width_ms % 500:
        raise InvalidControl(f"{control.label.split(' (')[0]} goes in steps of 0.5 seconds.")
    if name == "inching":
        # The device rejects `pulse: on` without the width, so both always go together.
        if width_ms == 0:
            return {"pulse": "off"}
        return {"pulse": "on", "pulseWidth": width_ms}
    item = {"pulse": "on", "width": width_ms} if width_ms else {"pulse": "off"}
    return {"pulses": _whole(params, "pulses", control.channel, item)}


def _power_on(params: Params, tags: Params) -> list[Control]:
    if "startup" in params:
        return [
            Control("startup", "select", "Power-on state", options=STARTUP_CHOICES,
                    value=params.get("startup"))
        ]  # fmt: skip
    items = _index(params.get("configure")) or {}
    return [
        Control(f"startup_{o + 1}", "select", f"Power-on state: {_channel(tags, o)}",
                channel=o, options=STARTUP_CHOICES, value=items[o].get("startup"))
        for o in sorted(items)
    ]  # fmt: skip


def _inching(params: Params, tags: Params) -> list[Control]:
    if "pulse" in params:
        seconds = _seconds(params.get("pulseWidth")) if params.get("pulse") == "on" else 0
        return [_inching_control("inching", "Inching (seconds, 0 = off)", None, seconds)]
    items = _index(params.get("pulses")) or {}
    controls = []
    for outlet in sorted(items):
        item = items[outlet]
        seconds = _seconds(item.get("width")) if item.get("pulse") == "on" else 0
        label = f"Inching: {_channel(tags, outlet)} (seconds, 0 = off)"
        controls.append(_inching_control(f"inching_{outlet + 1}", label, outlet, seconds))
    return controls


def _inching_control(name: str, label: str, channel: int | None, seconds: float) -> Control:
    return Control(name, "number", label, channel=channel, min=0, max=INCHING_MAX_S, step=0.5,
                   unit="s", value=seconds)  # fmt: skip


def _seconds(width: Any) -> float:
    if isinstance(width, int | float) and not isinstance(width, bool) and width > 0:
        return round(width / 1000 * 2) / 2
    return 0


def _channel(tags: Params, outlet: int) -> str:
    return channel_name(tags, outlet) or f"channel {outlet + 1}"


def _whole(params: Params, array: str, outlet: int | None, change: dict[str, Any]) -> list[Any]:
    """The whole outlet array with one element changed (the device needs it whole)."""
    items = dict(_index(params.get(array)) or {})
    if outlet is None or outlet not in items:
        raise InvalidControl("This device has no such channel.")
    items[outlet] = {**items[outlet], **change}
    if change.get("pulse") == "off":
        items[outlet].setdefault("width", 500)
    return [{**items[o], "outlet": o} for o in sorted(items)]
