from typing import Any

from django.apps import AppConfig

from realtime.events import publish


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime"

    def ready(self) -> None:
        from accounts.signals import household_event
        from realtime import revocation

        household_event.connect(_relay, dispatch_uid="realtime.relay_household_event")
        revocation.connect()


def _relay(sender: Any, *, household_id: int, payload: dict[str, Any], **kwargs: Any) -> None:
    """Pages hear what accounts announce (accounts itself never imports realtime)."""
    publish(household_id, payload)
