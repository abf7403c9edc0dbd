"""The device plugin API: what a plugin declares and the hooks the host calls.

A plugin is stateless, pure Python, with no ORM access and no I/O. The realtime worker calls
``merge()`` and ``state()`` on every incoming frame, so those two stay cheap and never raise.
The web calls ``controls()`` to render a card and ``command()`` to validate a control and build
the params to send.

Conventions every built-in follows (and the card templates rely on):

- control names are ``<what>`` or ``<what>_<n>`` with ``n`` counted from 1 (``switch_2``,
  ``rf_3``); ``Control.channel`` holds the wire index (the ``outlet`` or ``rfChl``);
- ``state()[control.name]`` is the control's current value, and ``Control.value`` carries it too;
- percentages are in the UI convention (cover position 0 = closed), temperatures in °C.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from devices.plugins.arrays import merge_params

if TYPE_CHECKING:
    from devices.plugins.readings import Reading

Params = dict[str, Any]
ControlKind = Literal["toggle", "range", "select", "button", "color", "number"]

_COLOR = re.compile(r"^#?([0-9a-fA-F]{6})$")
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"off", "false", "0", "no"})


class InvalidControl(ValueError):
    """A control name or value the plugin refuses; the message is shown to the user."""


@dataclass(frozen=True)
class Control:
    """One thing a person can do on a card (a toggle, a slider, a button …)."""

    name: str
    kind: ControlKind
    label: str
    channel: int | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    options: tuple[tuple[str, str], ...] = ()
    unit: str = ""
    value: Any = None


@dataclass(frozen=True)
class ChartSeries:
    """A value of ``state()`` worth keeping as history and drawing."""

    key: str
    label: str
    unit: str


@dataclass(frozen=True)
class EnergyHistory:
    """kWh a meter reported for past periods: ``kwh[0]`` is the current day (or hour)."""

    outlet: int  # 0 for the whole device, n for outlet n of a multi-outlet meter
    hours: int  # 24 when each value is a day, 1 when an hour
    kwh: tuple[float, ...]  # newest first


class DevicePlugin:
    """Base class with safe defaults; subclasses declare metadata and override hooks."""

    key: ClassVar[str]
    label: ClassVar[str]
    uiids: ClassVar[frozenset[int]]
    card_template: ClassVar[str]
    # A third-party plugin sets this to take a UIID away from a built-in one.
    overrides: ClassVar[bool] = False
    # A realistic payload, used by the registry self-test and the demo; never mutated.
    example_params: ClassVar[Params] = {}
    example_tags: ClassVar[Params] = {}
    # The values the card shows, with their labels and units: declared here and nowhere else.
    readings: ClassVar[tuple[Reading, ...]] = ()
    # The device's own options its UIIDs have (devices.plugins.options: power_on, inching,
    # led); the thing page offers those the device reports.
    option_names: ClassVar[tuple[str, ...]] = ()
    # The params of energy-history requests and reports (hundredDaysKwh …): taken out of a
    # report before it is merged, so the long history strings never land in the state.
    energy_keys: ClassVar[frozenset[str]] = frozenset()

    REQUIRED_ATTRIBUTES: ClassVar[tuple[str, ...]] = ("key", "label", "uiids", "card_template")

    def __init__(self, uiid: int | None = None) -> None:
        # One instance per UIID, so a plugin covering 2-, 3- and 4-gang models knows which.
        self.uiid = uiid

    def __repr__(self) -> str:
        return f"<{type(self).__name__} key={self.key!r} uiid={self.uiid}>"

    def merge(self, current: Params, incoming: Params) -> Params:
        """Merge a (possibly partial) device update into stored params; returns a new dict."""
        return merge_params(current, incoming)

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """Normalized, JSON-serializable state for the card (None for unreadable values)."""
        return {}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """The controls this device offers now, each carrying its current value."""
        return []

    def command(self, control: str, value: Any, params: Params, tags: Params) -> Params:
        """Validate ``value`` for ``control`` and build the params to send to the cloud."""
        spec = self.find_control(control, params, tags)
        return self.build(spec, validate(spec, value), params, tags)

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """Turn an already validated value into params; subclasses with controls override it."""
        raise InvalidControl(f"{control.label} cannot be changed")

    def find_control(self, name: str, params: Params, tags: Params) -> Control:
        """Return the control called ``name`` or raise InvalidControl."""
        for control in self.controls(params, tags):
            if control.name == name:
                return control
        raise InvalidControl(f"Unknown control {name!r} for {self.label}")

    def options(self, params: Params, tags: Params) -> list[Control]:
        """The device's own settings (power-on state, inching, LED …) with their values."""
        from devices.plugins import options

        return options.available(self.option_names, params, tags)

    def option_command(self, name: str, value: Any, params: Params, tags: Params) -> Params:
        """Validate an option's new value and build the params to send."""
        from devices.plugins import options

        return options.option_params(self.option_names, name, value, params, tags)

    def merge_commands(self, first: Params, second: Params) -> Params:
        """Merge two pending commands for one device; ``second`` wins, switches by outlet.

        Build ``second`` against ``merge(params, first)`` so full-array commands stay right.
        """
        return merge_params(first, second)

    def charts(self) -> list[ChartSeries]:
        """Values of ``state()`` worth charting: the readings marked ``chart``."""
        from devices.plugins.readings import charted

        return charted(self.readings)

    def sparkline(self) -> str | None:
        """The chart series a card draws as a small line of the last 24 h, or None."""
        return None

    def energy_requests(self, params: Params) -> list[Params]:
        """Params that ask the device for its energy history, one message each (none if it
        keeps none)."""
        return []

    def energy_history(self, report: Params) -> list[EnergyHistory]:
        """The energy history in a report (its ``energy_keys``), decoded; [] when none."""
        return []

    def card_readings(self, state: dict[str, Any]) -> list[tuple[Reading, Any]]:
        """``(reading, value)`` pairs the card shows: the declared readings that have a value.

        A value the device never reported (None or absent) is left out, never shown as a dash.
        Drawn from ``state`` and the declaration only: the card body is cached on those.
        """
        return [(r, state[r.key]) for r in self.readings if r.card and state.get(r.key) is not None]

    def live_request(self, params: Params) -> Params | None:
        """Params that start live reporting while someone watches (e.g. uiActive), or None."""
        return None

    def trusts_online_flag(self) -> bool:
        """Whether the cloud's online flag for this device type can be believed."""
        return True

    def summary(self, state: dict[str, Any]) -> str:
        """One short human line for lists and notifications."""
        return on_off_label(state.get("switch"))


def validate(control: Control, value: Any) -> Any:
    """Check ``value`` against the control's kind and limits; return it normalized."""
    return _VALIDATORS[control.kind](control, value)


def recorded_value(control: Control, value: Any) -> Any:
    """``value`` validated for ``control`` in a small JSON form, for the record of a command.

    Only what validation returns is kept, so whatever else came with a control is dropped.
    """
    checked = validate(control, value)
    if control.kind == "color":
        return "#{:02x}{:02x}{:02x}".format(*checked)
    return checked


def with_value(control: Control, value: Any) -> Control:
    """Return a copy of ``control`` carrying ``value``."""
    return replace(control, value=value)


def on_off_label(value: Any) -> str:
    """ "On", "Off" or "Unknown" for a tri-state flag."""
    if value is None:
        return "Unknown"
    return "On" if value else "Off"


def on_off_word(value: bool) -> str:
    """The cloud's string for a boolean."""
    return "on" if value else "off"


def _toggle(control: Control, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InvalidControl(f"{control.label} must be on or off")


def _number(control: Control, value: Any) -> float | int:
    number = _read_number(value)
    low = control.min if control.min is not None else -math.inf
    high = control.max if control.max is not None else math.inf
    if number is None or not low <= number <= high:
        raise InvalidControl(_range_message(control))
    if control.step and float(control.step).is_integer():
        if not number.is_integer():
            raise InvalidControl(f"{control.label} must be a whole number")
        return int(number)
    return number


def _read_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _range_message(control: Control) -> str:
    unit = f" {control.unit}" if control.unit else ""
    if control.min is not None and control.max is not None:
        return f"{control.label} must be between {control.min:g} and {control.max:g}{unit}"
    return f"{control.label} must be a number"


def _select(control: Control, value: Any) -> str:
    choice = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    allowed = [key for key, _label in control.options]
    if choice not in allowed:
        raise InvalidControl(f"{control.label} must be one of: {', '.join(allowed)}")
    return choice


def _button(control: Control, value: Any) -> None:
    return None


def _color(control: Control, value: Any) -> tuple[int, int, int]:
    match = _COLOR.match(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidControl(f"{control.label} must be a colour like #ff8800")
    digits = match.group(1)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


_VALIDATORS = {
    "toggle": _toggle,
    "range": _number,
    "number": _number,
    "select": _select,
    "button": _button,
    "color": _color,
}
