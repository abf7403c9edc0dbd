"""The page websocket protocol: typed frames, and the helpers that send them to households.

Server → browser (every frame carries a `seq`, increasing per socket):
- `snapshot`: everything the page shows, sent on connect (and again on any resync), so a page
  that missed frames while disconnected heals by reconnecting.
- `thing`: one thing changed; carries its whole normalized state (a few keys) and the card
  body as the server draws it (alert styling included), so a single frame is enough to redraw
  the card whatever was missed before it, and the page script does no formatting of its own.
- `account`: a linked account's live connection or status changed (its cards go stale/live).
- `control_result`: the outcome of a control the page sent (`pending` first, then the end).
- `notification`: a household notification was created (with the new unread count).

Browser → server:
- `control`: {request, thing, control, value}: run a plugin control on a thing.
- `ack`: {seq}: the page has handled frames up to `seq`; a page that falls too far behind is
  disconnected (it then reconnects and gets a fresh snapshot) instead of growing memory.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

ConnectionName = Literal["online", "offline", "connecting"]
ControlStatus = Literal[
    "pending", "ok", "offline", "timeout", "not_allowed", "rate_limited", "invalid", "error"
]


def household_group(household_id: int) -> str:
    """The Channels group every open page of a household listens on."""
    return f"household.{household_id}"


class ThingView(TypedDict):
    """What a page knows of one thing."""

    state: dict[str, Any]
    online: bool
    last_update: str | None  # ISO 8601
    account: int
    summary: str
    body: str  # the card body's HTML (devices.presentation.card_body)


class AccountView(TypedDict):
    connection: ConnectionName
    status: str  # active / needs_relink / disabled


class SnapshotEvent(TypedDict):
    """Everything the page shows (first frame, and after a resync)."""

    type: Literal["snapshot"]
    household: int
    things: dict[str, ThingView]
    accounts: dict[str, AccountView]
    server_time: str
    seq: NotRequired[int]


class ThingEvent(TypedDict):
    """One thing's new state (sent only when the normalized state or online flag changed)."""

    type: Literal["thing"]
    id: int
    state: dict[str, Any]
    online: bool
    last_update: str | None
    summary: str
    body: str  # the card body's HTML, drawn once here rather than by every page
    seq: NotRequired[int]


class AccountEvent(TypedDict):
    """A linked account's connection or status changed."""

    type: Literal["account"]
    id: int
    connection: ConnectionName
    status: str
    seq: NotRequired[int]


class ControlResultEvent(TypedDict):
    """What became of a control: pending, then ok or the reason it failed."""

    type: Literal["control_result"]
    request: str
    thing: int
    status: ControlStatus
    message: str
    latency_ms: int | None
    seq: NotRequired[int]


class NotificationEvent(TypedDict):
    """A household notification was created (the page updates its unread badge)."""

    type: Literal["notification"]
    id: int
    kind: str
    title: str
    unread: int
    seq: NotRequired[int]


def group_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The Channels message that carries `payload` to every page of a household."""
    return {"type": "household.event", "payload": payload}


def publish(household_id: int, payload: dict[str, Any]) -> None:
    """Send `payload` to the household's pages once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(household_group(household_id), group_message(payload))

    transaction.on_commit(send)


async def apublish(household_id: int, payload: dict[str, Any]) -> None:
    """`publish` for async code that holds no transaction (the realtime worker's hot path)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(household_group(household_id), group_message(payload))
