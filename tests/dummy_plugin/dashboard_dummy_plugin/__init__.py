"""A minimal third-party device plugin: a "dummy lamp" with UIID 99001."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.plugins.base import Control, DevicePlugin, Params, on_off_word
from devices.plugins.values import as_dict, on_off

DUMMY_UIID = 99001


class DummyPlugin(DevicePlugin):
    """Reads ``glow`` "on"/"off" and offers one toggle."""

    key = "dummy_lamp"
    label = "Dummy lamp"
    uiids = frozenset({DUMMY_UIID})
    # Reuses a built-in card: a plugin may ship its own template if it is also a Django app.
    card_template = "devices/cards/switch.html"
    example_params: ClassVar[Params] = {"glow": "on"}

    def state(self, params: Params, tags: Params) -> dict[str, Any]:
        """``glow`` as a bool."""
        return {"glow": on_off(as_dict(params).get("glow"))}

    def controls(self, params: Params, tags: Params) -> list[Control]:
        """One toggle."""
        return [Control("glow", "toggle", "Glow", value=self.state(params, tags)["glow"])]

    def build(self, control: Control, value: Any, params: Params, tags: Params) -> Params:
        """``{"glow": "on"}``."""
        return {"glow": on_off_word(value)}
