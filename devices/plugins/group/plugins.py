"""eWeLink device groups (itemType 3, UIID 5000): one command reaches every member."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import Control, DevicePlugin, Params, on_off_word
from devices.plugins.switch.plugins import MultiSwitchPlugin
from devices.plugins.values import as_dict, on_off


class GroupPlugin(DevicePlugin):
    """A group sends ``switch`` (single-channel members) or ``switches`` to all members."""

    key = "group"
    label = "Group"
    uiids = frozenset({5000})
    card_template = "devices/cards/group.html"
    example_params: ClassVar[Params] = {"switch": "off"}

    def __init__(self, uiid: int | None = None) -> None:
        super().__init__(uiid)
        # Multi-channel groups behave like a 4-channel switch (channel count from params).
        self._channels = MultiSwitchPlugin(None)

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``switch`` for single-channel groups, ``switch_<n>`` for multi-channel ones."""
        params = as_dict(params)
        if "switches" in params:
            return self._channels.state(params, tags)
        return {"switch": on_off(params.get("switch"))}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """One toggle, or one per channel."""
        if "switches" in as_dict(params):
            return self._channels.controls(params, tags)
        current = on_off(as_dict(params).get("switch"))
        return [Control("switch", "toggle", "All on/off", value=current)]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``switch`` or a partial ``switches`` array."""
        if control.channel is not None:
            return self._channels.build(control, value, params, tags)
        return {"switch": on_off_word(value)}

    def summary(self, state: dict[str, Any]) -> str:
        """ "On" / "2 of 4 on"."""
        if "switch" in state:
            return super().summary(state)
        return self._channels.summary(state)
