"""The fallback for unknown device types: the raw params as a read-only key/value list."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from devices.plugins.base import DevicePlugin, Params
from devices.plugins.values import as_dict, param_field

MAX_FIELDS = 40
MAX_VALUE_CHARS = 80
# Bulky or noisy keys that say nothing to a person looking at a card.
HIDDEN_KEYS = frozenset({"timers", "init", "staMac", "bindInfos", "version"})


class GenericPlugin(DevicePlugin):
    """Shows what the device reports so nothing is ever hidden; offers no controls."""

    key = "generic"
    label = "Device"
    uiids = frozenset()
    card_template = "devices/cards/generic.html"
    example_params: ClassVar[Params] = {"fwVersion": "3.5.0", "rssi": -70, "mystery": [1, 2]}

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``fields``: ``[label, text]`` pairs sorted by key, values shortened for display.

        Known params get a label and unit (``values.PARAM_LABELS``); others keep their key.
        Params without a value (null, "") are left out, like every reading never reported.
        """
        shown = (
            (k, v) for k, v in as_dict(params).items() if k not in HIDDEN_KEYS and _reported(v)
        )
        items = sorted(shown)[:MAX_FIELDS]
        return {"fields": [list(param_field(key, _display(value))) for key, value in items]}

    def summary(self, state: dict[str, Any]) -> str:
        """ "5 values"."""
        fields = state.get("fields") or []
        return f"{len(fields)} values"


def _reported(value: Any) -> bool:
    return value is not None and value != ""


def _display(value: Any) -> str:
    if isinstance(value, str):
        shown = value
    else:
        try:
            shown = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            shown = repr(value)
    return shown if len(shown) <= MAX_VALUE_CHARS else shown[: MAX_VALUE_CHARS - 1] + "…"
