from typing import Any

from asgiref.sync import async_to_sync
from django.apps import AppConfig
from django.db import transaction

from realtime.events import publish


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime"

    def ready(self) -> None:
        from accounts.signals import household_event
        from realtime import revocation

        household_event.connect(_relay, dispatch_uid="realtime.relay_household_event")
        revocation.connect()


def _relay(sender: Any, *, household_id: int, payload: Any, **kwargs: Any) -> None:
    """Pages hear what accounts and devices announce (neither imports realtime)."""
    publish(household_id, payload)  # a payload of no known type raises here, at its sender
    if payload.get("type") == "structure" and payload.get("accounts"):
        from realtime.reload import ask_to_reload

        accounts = list(payload["accounts"])
        transaction.on_commit(lambda: async_to_sync(ask_to_reload)(accounts))
