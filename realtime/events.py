"""The page websocket protocol: typed frames, and the helpers that send them to households.

Server → browser (every frame carries a `seq`, increasing per socket):
- `snapshot`: what changed since the page was drawn (or last heard), sent on connect, so a
  page that missed frames while disconnected heals by reconnecting. It carries the protocol
  version (a page drawn by an older deploy reloads itself) and the household's structure
  version (a page that missed a structure change redraws its sections).
- `snapshot_part`: {things}: a large household's snapshot comes in parts of at most 256 KB
  (no frame of megabytes): the parts first, then the `snapshot` frame with the rest of the
  things and `parts`, how many came before it; the page applies them all together.
- `thing`: one thing changed; carries its whole normalized state (a few keys) and the card
  body as the server draws it (alert styling included), so a single frame is enough to redraw
  the card whatever was missed before it, and the page script does no formatting of its own.
- `batch`: {frames, merged}: `thing` frames that were ready at the same moment, in order, in
  one websocket frame. For a page that is behind (frames unacked) only the newest state of
  each thing goes out; `merged` counts the older states skipped since the last batch.
- `account`: a linked account's live connection or status changed (its cards go stale/live).
- `control_result`: the outcome of a control the page sent (`pending` first, then the end).
- `notification`: a household notification was created (with the new unread count).
- `messages`: the message sync stored new message-centre messages; a messages page redraws.
- `live_updates`: whether a realtime worker is running (its heartbeat in Redis): when none
  is, the page says live updates are unavailable instead of pretending to be live. The
  snapshot carries the same flag as `live_updates`; later frames come only when it changes.
- `logbook`: the household's logbook has new entries (of `kinds`); an open logbook or history
  panel fetches what is newer than its top row.
- `fragment`: a piece of the page drawn afresh by the server (a home or room section, a card,
  a thing page panel), or `html: null` for one that is gone. Sent by the page's consumer when
  a `structure` event reaches the household's group: the consumer knows which page it serves
  and draws that page's fragments; the script only puts them in place.

Household group only (never sent to a page as it is):
- `structure`: things, rooms or homes were added, removed, renamed, moved or regrouped.

Browser → server:
- `control`: {request, thing, control, value}: run a plugin control on a thing.
- `ack`: {seq}: the page has handled frames up to `seq`; a page that falls too far behind is
  disconnected (it then reconnects and gets a fresh snapshot) instead of growing memory.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict, cast

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# Bump when a frame changes shape: open pages of the old script reload themselves.
PROTOCOL_VERSION = 3

ConnectionName = Literal["online", "offline", "connecting"]
AccountStatus = Literal["active", "needs_relink", "disabled", "unlinked"]
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
    status: str  # the card's online badge and time, as HTML


class AccountView(TypedDict):
    connection: ConnectionName
    status: AccountStatus
    syncing: bool


class SnapshotEvent(TypedDict):
    """What the page needs to be current: things changed since `since`, every account."""

    type: Literal["snapshot"]
    protocol: int
    household: int
    structure: int  # the household's structure version (see devices/structure.py)
    things: dict[str, ThingView]
    accounts: dict[str, AccountView]
    server_time: str
    live_updates: NotRequired[bool]  # a realtime worker is running (absent: assume it is)
    parts: NotRequired[int]  # `snapshot_part` frames sent before this one
    seq: NotRequired[int]


class LiveUpdatesFrame(TypedDict):
    """A realtime worker started or stopped running: the page says whether it is live."""

    type: Literal["live_updates"]
    available: bool
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
    status: str  # the card's online badge and time, as HTML
    seq: NotRequired[int]


class AccountEvent(TypedDict):
    """A linked account's connection, status or sync in progress changed."""

    type: Literal["account"]
    id: int
    connection: ConnectionName
    status: AccountStatus
    syncing: NotRequired[bool]
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


class MessagesEvent(TypedDict):
    """New message-centre messages were stored, or some were marked read (count 0): a messages
    page draws its list afresh."""

    type: Literal["messages"]
    count: int  # how many arrived
    unread: int  # the household's unread messages after them
    seq: NotRequired[int]


class StructureEvent(TypedDict):
    """Things, rooms or homes were added, removed, renamed, moved or regrouped.

    Ids of every row concerned, gone ones included, and for a moved thing the room and home
    it left as well as the one it joined: each page's consumer redraws what it shows of them.
    """

    type: Literal["structure"]
    version: int  # the household's structure version after this change
    things: list[int]
    rooms: list[int]
    homes: list[int]
    accounts: list[int]  # linked accounts whose things changed (their workers reload them)
    seq: NotRequired[int]


class DetailsEvent(TypedDict):
    """A device reported a setting, its timers or its firmware (stored before this is sent):
    its thing page redraws the panels that show them. Dashboards ignore it."""

    type: Literal["details"]
    thing: int
    seq: NotRequired[int]


class BatchResultEvent(TypedDict):
    """The answers to an All on / All off someone started (it ran in the background): shown
    on that person's open pages only (the consumer drops it for everyone else)."""

    type: Literal["batch_result"]
    user: int  # who started it
    ok: bool  # every thing with a switch took the command
    summary: str
    lines: list[str]  # each thing that failed and why, then the ones left alone
    seq: NotRequired[int]


class LogbookNews(TypedDict):
    """New logbook entries were stored (the page asks for them: who sees what is its rule)."""

    type: Literal["logbook"]
    kinds: list[str]
    seq: NotRequired[int]


class FragmentFrame(TypedDict):
    """A server-drawn piece of one page: put `html` at `key` (inside `parent`, by `order`)."""

    type: Literal["fragment"]
    key: str  # the element's data-fragment
    parent: str  # data-fragment of the container it belongs in
    order: str  # siblings are kept sorted by this (plain string comparison)
    html: str | None  # None: the piece is gone
    structure: int  # the structure version this drawing reflects
    seq: NotRequired[int]


# What may travel on a household's group.
PageEvent = (
    ThingEvent | AccountEvent | ControlResultEvent | NotificationEvent | StructureEvent
    | DetailsEvent | MessagesEvent | BatchResultEvent | LogbookNews
)  # fmt: skip
EVENT_TYPES = frozenset(
    {"thing", "account", "control_result", "notification", "structure", "details", "messages",
     "batch_result", "logbook"}
)  # fmt: skip


def checked(payload: PageEvent | dict[str, Any]) -> dict[str, Any]:
    """`payload` as a plain dict, if its type is one of the protocol's; else a TypeError.

    The type checker holds emitters to the TypedDicts; this holds everything else (payloads
    that arrive through the accounts signal) to at least a known frame type.
    """
    if not isinstance(payload, dict) or payload.get("type") not in EVENT_TYPES:
        kind = payload.get("type") if isinstance(payload, dict) else type(payload).__name__
        raise TypeError(f"not a page event: {kind!r}")
    return cast("dict[str, Any]", payload)  # a TypedDict is a dict at runtime


def group_message(payload: PageEvent | dict[str, Any]) -> dict[str, Any]:
    """The Channels message that carries `payload` to every page of a household."""
    return {"type": "household.event", "payload": checked(payload)}


def publish(household_id: int, payload: PageEvent) -> None:
    """Send `payload` to the household's pages once the current transaction commits."""
    message = group_message(payload)

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(household_group(household_id), message)

    # Robust: the change is committed; pages that miss the news catch up when they reconnect,
    # and a Redis that is down (not yet started under `make run`) is logged, not a failure.
    transaction.on_commit(send, robust=True)


async def apublish(household_id: int, payload: PageEvent) -> None:
    """`publish` for async code that holds no transaction (the realtime worker's hot path)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(household_group(household_id), group_message(payload))


class PublishNow:
    """`apublish` without waiting for Redis's reply, for code that must not wait (the
    realtime worker's socket reader): in call order with every other publish of the
    process. Ask `ready()` first: False when the layer cannot (not ours, or Redis behind),
    and then `apublish` it is."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()

    def ready(self) -> bool:
        backlogged = getattr(self.layer, "backlogged", None)
        return backlogged is not None and not backlogged()

    def __call__(self, household_id: int, payload: PageEvent) -> None:
        self.layer.group_send_now(household_group(household_id), group_message(payload))
