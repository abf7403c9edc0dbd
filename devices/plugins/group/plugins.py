"""eWeLink device groups (itemType 3, UIID 5000): one command reaches every member."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import Control, DevicePlugin, Params, on_off_word
from devices.plugins.switch.plugins import MultiSwitchPlugin
from devices.plugins.values import as_dict, as_list, on_off


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

    def follow_members(self, params: Params, members: list[Params]) -> Params:
        """The group's params as its members' params make them (see ``follow_members``)."""
        return follow_members(params, members)

    def summary(self, state: dict[str, Any]) -> str:
        """ "On" / "2 of 4 on"."""
        if "switch" in state:
            return super().summary(state)
        return self._channels.summary(state)


def follow_members(params: Params, members: list[Params]) -> Params:
    """A group is on while ANY member is on (per channel for multi-channel groups).

    The cloud's group ``params`` only remember the last command sent to the group, so a member
    switched on its own would leave the group showing "off" for ever. Following the members
    makes the card's toggle do what a person expects: one press turns everything off when
    anything is on, and on when everything is off. No readable member: params unchanged.
    """
    params = as_dict(params)
    members = [as_dict(m) for m in members]
    if "switches" in params:
        outlets: dict[int, bool] = {}
        for member in members:
            for entry in as_list(member.get("switches")):
                entry = as_dict(entry)
                outlet, value = entry.get("outlet"), on_off(entry.get("switch"))
                if isinstance(outlet, int) and value is not None:
                    outlets[outlet] = outlets.get(outlet, False) or value
        if not outlets:
            return params
        switches = [as_dict(s) for s in as_list(params["switches"])]
        known = {s.get("outlet") for s in switches}
        switches = [
            {**s, "switch": on_off_word(outlets[s["outlet"]])} if s.get("outlet") in outlets else s
            for s in switches
        ] + [{"outlet": o, "switch": on_off_word(v)} for o, v in outlets.items() if o not in known]
        return {**params, "switches": sorted(switches, key=lambda s: s.get("outlet", 0))}
    values = [v for v in (on_off(m.get("switch")) for m in members) if v is not None]
    if not values:
        return params
    return {**params, "switch": on_off_word(any(values))}
