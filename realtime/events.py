"""Typed events pushed to a household's browsers, and the one helper that sends them."""

from __future__ import annotations

from typing import Any, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def household_group(household_id: int) -> str:
    """The Channels group every open page of a household listens on."""
    return f"household.{household_id}"


class HelloEvent(TypedDict):
    """First frame on a new page socket: which household it is bound to."""

    type: str
    household: int


def publish(household_id: int, payload: dict[str, Any]) -> None:
    """Send `payload` to the household's pages once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            message = {"type": "household.event", "payload": payload}
            async_to_sync(layer.group_send)(household_group(household_id), message)

    transaction.on_commit(send)
