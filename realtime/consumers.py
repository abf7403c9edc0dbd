"""The browser's websocket: one per page, bound to the user's current household.

Connect → join the household's group → the workers commit their state → snapshot → diffs.
Group events that arrive before the snapshot is out are held and sent right after it, so
the page never applies an older snapshot over a newer event. Frames are numbered; the page
acks them, and a page that falls too far behind is closed (it reconnects and gets a
snapshot) rather than letting its backlog grow in the server's memory.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from accounts import log_context
from accounts.models import ROLE_RANK, Role
from accounts.tenancy import current_membership_for
from devices.fragments import fragments_for
from realtime import redis as keys
from realtime.control import MESSAGES, ControlRequest, run_control
from realtime.direct_send import TextSender, direct_text_sender
from realtime.events import (
    ControlResultEvent,
    FragmentFrame,
    LiveUpdatesFrame,
    SnapshotEvent,
    household_group,
)
from realtime.message_loop import pump_messages
from realtime.metrics import (
    DROPPED_BINARY,
    DROPPED_TOO_LARGE,
    DROPPED_TOO_SLOW,
    FRAMES_SENT,
    PAGE_SOCKETS,
)
from realtime.ratelimit import take_control_token
from realtime.revocation import session_digest, session_user, user_group
from realtime.snapshot import build_snapshot, flush_workers, workers_running

log = logging.getLogger(__name__)
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NO_HOUSEHOLD = 4403
CLOSE_TOO_SLOW = 4408
# A server error, or Redis restarted: the page reconnects (with backoff) for a fresh snapshot.
# Not 1011: Daphne's websocket library lets a server close only with 1000 or 3000-4999.
CLOSE_NO_SNAPSHOT = 4500
CLOSE_ACCESS_CHANGED = 4410  # signed out, removed, password changed: the page reloads
MAX_UNACKED = 1000
# Daphne's message size limit no longer applies to what we send (dashboard/daphne_limits.py),
# but a large household's snapshot still goes out in parts: no frame of megabytes for the
# page to wait for and parse at once. One thing's view over MAX_SEND_BYTES is left out.
MAX_SEND_BYTES = 1024 * 1024 - 1024
SNAPSHOT_PART_BYTES = 256 * 1024
# Thing frames ready together go out as one `batch` frame. A page this many frames behind
# (unacked) gets them at most every BEHIND_FLUSH_S, with only the newest state of each thing.
BEHIND_FRAMES = 100
BEHIND_FLUSH_S = 0.05
MAX_BATCH = 200  # thing frames in one batch
MAX_GATHER_TURNS = 50  # loop turns a batch may wait for messages already received
MAX_FRAME_CHARS = 4096  # a control or an ack is ~150; bigger frames are dropped unread
MAX_CONTROL_NAME = 50  # CommandRecord.control
MAX_THING_ID = 2**63 - 1
PARAMS_REDRAW_S = 1.0
WATCH_TTL = 90  # seconds; refreshed while the page is open (drives uiActive)
LIVE_CHECK_EVERY = 5.0  # seconds between looks at the workers' heartbeat
# Messages whose handlers never touch the database themselves (what they do reach goes
# through database_sync_to_async, which cleans up connections in its own thread).
NO_DB_MESSAGES = frozenset({"household.event", "control.reply", "flush.reply", "websocket.receive"})


class HouseholdConsumer(AsyncJsonWebsocketConsumer):
    """Joins only the group of the household chosen in the user's session."""

    group: str | None = None
    user_group: str | None = None
    user_id: int = 0
    role: str = Role.GUEST
    counted = False  # in PAGE_SOCKETS
    inbox: asyncio.Queue[Any] | None = None  # this process's queue of the socket's messages
    send_text_now: TextSender | None = None  # Daphne's protocol, directly (direct_send.py)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.turn = asyncio.Lock()  # held while a message is dispatched (pump_messages)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """`AsyncConsumer.__call__` with `pump_messages` as its loop (see there)."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        if self.channel_layer is None:
            await super().__call__(scope, receive, send)
            return
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        inbox = getattr(self.channel_layer, "inbox", None)
        self.inbox = inbox(self.channel_name) if inbox is not None else None
        self.base_send = send
        self.send_text_now = direct_text_sender(send)
        messages = self.channel_receive if self.inbox is None else self._next_group_message
        try:
            await pump_messages([receive, messages], self.dispatch, self.turn)
        except StopConsumer:
            pass
        finally:
            drop = getattr(self.channel_layer, "drop_channel", None)
            if drop is not None:
                await drop(self.channel_name)

    async def _next_group_message(self) -> Any:
        """The layer's `receive` without its way in: read from the socket's queue directly
        (the lookups of layer and queue were a twelfth of Daphne's work at 800 events/s)."""
        assert self.inbox is not None
        return self.channel_layer.deserialize(await self.inbox.get())

    async def connect(self) -> None:
        # Which page this socket serves (its fragments) and what it already shows.
        query = dict(parse_qsl(self.scope.get("query_string", b"").decode("latin-1")))
        self.view = query.get("view", "")[:30]
        self.view_params = {k: v[:30] for k, v in query.items() if k in ("room", "thing")}
        raw_thing = self.view_params.get("thing", "")
        self.page_thing = int(raw_thing) if raw_thing.isdigit() else 0  # a thing page's thing
        self.params_redraw: asyncio.TimerHandle | None = None
        self.since = _moment(query.get("since", ""))
        self.drawn = _moment(query.get("drawn", ""))  # the update a thing page's panels show
        self.seq = 0
        self.acked = 0
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.held: list[dict[str, Any]] | None = []  # events before the snapshot; None after
        self.outbox: list[dict[str, Any]] = []  # thing frames waiting for the next batch
        self.outbox_at: dict[Any, int] = {}  # thing id → its frame's place in the outbox
        self.merged = 0  # states replaced by a newer one in the outbox since the last batch
        self.flusher: asyncio.Task[None] | None = None
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # Join the user's group first: a change of access from here on reaches this socket.
        self.user_id = user.pk
        self.user_group = user_group(user.pk)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        access = await self._resolve(user, self.scope.get("session"))
        if access is None:
            await self.close(code=CLOSE_NO_HOUSEHOLD)
            return
        self.household_id, self.role = access
        # The consumer runs in its own task: every line it logs from here on names the household.
        log_context.bind(household=self.household_id)
        # Join before reading the snapshot, so nothing falls between the two.
        self.group = household_group(self.household_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        PAGE_SOCKETS.inc()
        self.counted = True
        deliver_now = getattr(self.channel_layer, "deliver_now", None)
        if deliver_now is not None and self.send_text_now is not None:
            deliver_now(self.channel_name, self._household_event_now)
        # In a task: the workers' flush replies are dispatched only once connect() returns.
        self._spawn(self._start())

    async def _start(self) -> None:
        try:
            await flush_workers(self.household_id, self._ask_worker, self.channel_name)
            snapshot = await database_sync_to_async(build_snapshot)(self.household_id, self.since)
            live = snapshot["live_updates"] = await workers_running()
        except Exception:
            log.exception("no snapshot for household %s", self.household_id)
            await self.close(code=CLOSE_NO_SNAPSHOT)  # the page reconnects with backoff
            return
        await self._send_snapshot(snapshot)
        if self._panels_behind(snapshot):
            # Stored after the page read it, announced before this socket joined (an action's
            # own result, the page reloaded by its redirect): the panels would show it never.
            await self._fragments({"things": [self.page_thing]}, panels="live")
        while self.held:  # no await between the last check and `None`: nothing slips past
            await self._deliver(self.held.pop(0))
        self.held = None
        await self._keep_watching(live)

    def _panels_behind(self, snapshot: SnapshotEvent) -> bool:
        """Whether a thing page's panels show an older update of its thing than the stored one."""
        view = snapshot["things"].get(str(self.page_thing)) if self.page_thing else None
        stored = _moment(view.get("last_update") or "") if view else None
        return stored is not None and (self.drawn is None or stored > self.drawn)

    async def disconnect(self, code: int) -> None:
        if self.counted:
            PAGE_SOCKETS.dec()
            self.counted = False
        if getattr(self, "params_redraw", None) is not None:
            self.params_redraw.cancel()
        flusher = getattr(self, "flusher", None)
        if flusher is not None:
            flusher.cancel()
        for task in list(getattr(self, "tasks", ())):
            task.cancel()
        for group in (self.group, self.user_group):
            if group:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            (DROPPED_BINARY if text_data is None else DROPPED_TOO_LARGE).inc()
            log.info("dropped a page frame (%s)", "binary" if text_data is None else "too large")
            return
        await super().receive(text_data=text_data)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "ack" and isinstance(content.get("seq"), int):
            self.acked = max(self.acked, min(content["seq"], self.seq))
        elif kind == "control":
            self._spawn(self._control(content))

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except ValueError:
            return None  # a malformed frame is ignored, not a crash

    # Channels handlers -------------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Skip Channels' `close_old_connections()` on the hot path.

        Upstream runs it before every message, a hop through the one thread shared by all
        sync code of the process: with ten pages and 200 events/s that hop was most of the
        server's work and the first thing to queue.
        """
        if message.get("type") in NO_DB_MESSAGES:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def household_event(self, message: dict[str, Any]) -> None:
        if self.group is None:
            return  # access revoked: nothing more of the household's
        # The payload is shared by every socket of the process (PubSubChannelLayer decodes a
        # group message once): read it, never change it.
        if self.held is None:
            await self._deliver(message["payload"])
        elif len(self.held) < MAX_UNACKED:
            self.held.append(message["payload"])
        else:
            DROPPED_TOO_SLOW.inc()
            await self.close(code=CLOSE_TOO_SLOW)

    async def control_reply(self, message: dict[str, Any]) -> None:
        future = self.pending.get(str(message.get("request")))
        if future is not None and not future.done():
            future.set_result(message)

    flush_reply = control_reply

    async def access_changed(self, message: dict[str, Any]) -> None:
        """The user's access may have changed: look again, close if it is gone."""
        if self.group is None:
            return  # not (or no longer) joined to a household
        session = self.scope.get("session")
        ended = message.get("ended_session")
        if ended is not None and ended == session_digest(getattr(session, "session_key", None)):
            await self._revoke("its session ended")
            return
        access = await self._recheck()
        if access is None or access[0] != self.household_id:
            await self._revoke("its access to the household changed")
        else:
            self.role = access[1]

    # ------------------------------------------------------------------------------------

    async def _deliver(self, payload: dict[str, Any]) -> None:
        """A group event to the page: as it is, or, for a structure change, as the fragments
        of this page it touches (drawn here, for the page this socket serves)."""
        kind = payload.get("type")
        if kind == "batch_result" and payload.get("user") != self.user_id:
            return  # someone else's batch: its answers are theirs
        if kind == "details":
            # Only the page of that thing shows details; it redraws its live panels.
            if self.page_thing and payload.get("thing") == self.page_thing:
                await self._fragments({"things": [self.page_thing]}, panels="live")
            return
        if kind == "thing":
            if self._keeping_up():
                # Nothing to batch it with: out now, not a turn of the loop later. Order
                # holds, since Daphne's send never yields (a batch cannot be mid-send).
                await self._send_encoded(encoded(payload))
            else:
                self._queue_thing(payload)  # more is ready or coming: one batch frame
            self._thing_sent(payload)
            return
        if kind != "structure":
            await self._send(dict(payload))
            return
        await self._fragments(payload)

    def _household_event_now(self, data: bytes) -> bool:
        """The layer's reader offers each group message here before queueing it (`deliver_now`,
        registered once connected): a thing's new state for a page that keeps up and is not
        busy with another message goes out in the reader's turn, as `household_event` would
        send it, without waking this socket's task. Anything else: False, and it is queued."""
        if self.group is None or self.held is not None or self.turn.locked():
            return False
        message = self.channel_layer.deserialize(data)
        payload = message.get("payload") if message.get("type") == "household.event" else None
        if not isinstance(payload, dict) or payload.get("type") != "thing":
            return False
        if not self._keeping_up():
            return False
        self.seq += 1
        self._write_now(_numbered(encoded(payload), self.seq))
        self._thing_sent(payload)
        return True

    def _keeping_up(self) -> bool:
        """No thing frame waits for a batch, none is coming, and the page acks in time."""
        return not (self.outbox or self.flusher is not None or self._inbound() or self._behind())

    def _thing_sent(self, payload: dict[str, Any]) -> None:
        if self.page_thing and payload.get("id") == self.page_thing:
            self._redraw_params_soon()

    def _queue_thing(self, payload: dict[str, Any]) -> None:
        """Into the next batch; a page that is behind gets only a thing's newest state."""
        place = self.outbox_at.get(payload.get("id"))
        if place is not None and self._behind():
            self.outbox[place] = payload  # the final state always goes out
            self.merged += 1
        else:
            self.outbox_at[payload.get("id")] = len(self.outbox)
            self.outbox.append(payload)
        if self.flusher is None:
            self.flusher = asyncio.create_task(self._flush_soon())

    def _inbound(self) -> int:
        """Group messages this process received for this socket and it has not handled."""
        return self.inbox.qsize() if self.inbox is not None else 0

    def _behind(self) -> bool:
        """Frames sent and not acked, or received and not handled, are piling up."""
        return self.seq - self.acked >= BEHIND_FRAMES or self._inbound() >= BEHIND_FRAMES

    async def _flush_soon(self) -> None:
        """Once the messages already received for this socket are in the batch (a few turns
        of the loop at most), or, for a page that is behind, a little later so that more
        states merge."""
        try:
            await asyncio.sleep(BEHIND_FLUSH_S if self._behind() else 0)
            turns = 0
            while self._inbound() and turns < MAX_GATHER_TURNS and len(self.outbox) < MAX_BATCH:
                await asyncio.sleep(0)
                turns += 1
        finally:
            self.flusher = None
        await self._flush_outbox()

    async def _flush_outbox(self) -> None:
        frames, merged = self.outbox, self.merged
        self.outbox, self.outbox_at, self.merged = [], {}, 0
        if len(frames) == 1 and not merged:
            await self._send_encoded(encoded(frames[0]))
        elif frames:
            inner = ", ".join(encoded(frame) for frame in frames)
            batch = f'{{"type": "batch", "frames": [{inner}], "merged": {merged}}}'
            await self._send_encoded(batch)

    def _redraw_params_soon(self) -> None:
        """A thing page's overview (its table of params) follows the card, at most once a
        second, drawn once the worker has stored the state (it writes every half second)."""
        if self.params_redraw is None:
            loop = asyncio.get_running_loop()
            self.params_redraw = loop.call_later(PARAMS_REDRAW_S, self._params_redraw)

    def _params_redraw(self) -> None:
        self.params_redraw = None
        self._spawn(self._fragments({"things": [self.page_thing]}, panels="overview"))

    async def _fragments(self, payload: dict[str, Any], panels: str = "") -> None:
        params = {**self.view_params, "role": self.role}
        if panels:
            params["panels"] = panels  # a thing page's: only those a report can change
        try:
            fragments = await database_sync_to_async(fragments_for)(
                self.household_id, self.view, payload, params
            )
        except Exception:
            log.exception("no fragments for household %s", self.household_id)
            await self.close(code=CLOSE_NO_SNAPSHOT)  # the page reconnects and redraws
            return
        for fragment in fragments:
            frame = FragmentFrame(
                type="fragment",
                key=fragment.key,
                parent=fragment.parent,
                order=fragment.order,
                html=fragment.html,
                structure=int(payload.get("version") or 0),
            )
            await self._send(dict(frame))

    async def _send(self, payload: dict[str, Any]) -> None:
        if self.outbox:
            await self._flush_outbox()  # in order: thing frames queued before this one first
        await self._send_encoded(json.dumps(payload))

    async def _send_encoded(self, text: str) -> None:
        """A JSON object as text, numbered (its `seq` added as the last key)."""
        if self.seq - self.acked >= MAX_UNACKED:
            DROPPED_TOO_SLOW.inc()
            log.info("closing a page socket %d frames behind", self.seq - self.acked)
            await self.close(code=CLOSE_TOO_SLOW)
            return
        self.seq += 1
        await self._send_text(_numbered(text, self.seq))

    async def _send_text(self, text: str) -> None:
        if self.send_text_now is not None:
            self._write_now(text)
        else:
            await self.send(text_data=text)
            FRAMES_SENT.inc()

    def _write_now(self, text: str) -> None:
        """A frame straight to Daphne's connection (`send_text_now`), without waiting."""
        assert self.send_text_now is not None
        self.send_text_now(text)
        FRAMES_SENT.inc()

    async def _send_snapshot(self, snapshot: SnapshotEvent) -> None:
        """The snapshot in one frame, or, for a large household, its things in
        `snapshot_part` frames first and the rest in the `snapshot` frame, which says how
        many parts came before it (the page applies them together when it arrives)."""
        parts = snapshot_parts(snapshot["things"])
        head = json.dumps({k: v for k, v in snapshot.items() if k != "things"})
        if parts[-1] and len(head) + len(parts[-1]) + 100 > SNAPSHOT_PART_BYTES:
            parts.append("")  # thousands of accounts: the last things go in a part too
        for chunk in parts[:-1]:
            self.seq += 1
            part = f'{{"type":"snapshot_part","seq":{self.seq},"things":{{{chunk}}}}}'
            await self._send_text(part)
        self.seq += 1
        tail = f',"parts":{len(parts) - 1},"seq":{self.seq},"things":{{{parts[-1]}}}}}'
        await self._send_text(head[:-1] + tail)

    async def _revoke(self, why: str) -> None:
        log.info("closing a page socket of user %s: %s", self.scope["user"].pk, why)
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None  # no household event reaches it from now on
        self.held = []  # nor one held for after the snapshot
        self.outbox, self.outbox_at = [], {}  # nor one queued for the next batch
        if self.flusher is not None:
            self.flusher.cancel()
        for task in list(self.tasks):
            task.cancel()
        await self.close(code=CLOSE_ACCESS_CHANGED)

    async def _control(self, content: dict[str, Any]) -> None:
        request = str(content.get("request") or uuid.uuid4().hex)[:64]
        thing = content.get("thing")
        control = content.get("control")
        if (
            not isinstance(thing, int)
            or isinstance(thing, bool)
            or not 0 < thing <= MAX_THING_ID
            or not isinstance(control, str)
            or not 0 < len(control) <= MAX_CONTROL_NAME
        ):
            await self._send(_invalid(request, thing, "A control needs a thing id and a name."))
            return
        log_context.bind(thing=thing)  # this control's own task
        if self.group is None:
            return  # revoked while this frame waited
        if ROLE_RANK[Role(self.role)] < ROLE_RANK[Role.MEMBER]:
            # The role as of the last change; prepare() checks the database again anyway.
            await self._send(_refused(request, thing, "not_allowed"))
            return
        if await take_control_token(self.scope["user"].pk, self.household_id) > 0:
            await self._send(_refused(request, thing, "rate_limited"))
            return
        await self._send(
            dict(ControlResultEvent(
                type="control_result", request=request, thing=thing, status="pending",
                message="Sending…", latency_ms=None,
            ))
        )  # fmt: skip
        req = ControlRequest(
            user_id=self.scope["user"].pk,
            household_id=self.household_id,
            thing_id=thing,
            control=control,
            value=content.get("value"),
            request=request,
        )
        announced = False

        async def announce(result: ControlResultEvent) -> None:
            nonlocal announced
            announced = True
            await self._send(dict(result))

        try:
            outcome = dict(await run_control(req, self._ask_worker, self.channel_name, announce))
        except Exception:
            log.exception("control %s on thing %s failed", control, thing)
            if announced:
                return  # the page heard the device's answer; only the record failed
            outcome = _refused(request, thing, "error", "Something went wrong; try again.")
        if not announced:
            await self._send(outcome)

    async def _ask_worker(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[message["request"]] = future
        try:
            await self.channel_layer.send(channel, message)
            return await future
        finally:
            self.pending.pop(message["request"], None)

    async def _keep_watching(self, live: bool) -> None:
        """Tell the workers someone is looking at this household (live power readings), and
        the page whether a realtime worker is running, as that changes."""
        loop = asyncio.get_running_loop()
        watched_at = -float(WATCH_TTL)
        redis_lost = False
        while True:
            try:
                if loop.time() - watched_at >= WATCH_TTL / 3:
                    await keys.client().set(keys.watch_key(self.household_id), 1, ex=WATCH_TTL)
                    watched_at = loop.time()
                running = await workers_running()
            except RedisError:
                redis_lost, running = True, False  # no worker can reach the page meanwhile
            else:
                if redis_lost:
                    # Redis is back (restarted: it forgot everything): events sent meanwhile
                    # were lost, so the page reconnects and gets a snapshot.
                    await self.close(code=CLOSE_NO_SNAPSHOT)
                    return
            if running != live:
                live = running
                await self._send(dict(LiveUpdatesFrame(type="live_updates", available=live)))
            await asyncio.sleep(LIVE_CHECK_EVERY)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @database_sync_to_async
    def _resolve(self, user: Any, session: Any) -> tuple[int, str] | None:
        membership = current_membership_for(user, session)
        return None if membership is None else (membership.household_id, membership.role)

    @database_sync_to_async
    def _recheck(self) -> tuple[int, str] | None:
        """(household, role) by the session as stored now; None if it is no longer valid."""
        signed_in = session_user(getattr(self.scope.get("session"), "session_key", None))
        if signed_in is None or signed_in[0].pk != self.scope["user"].pk:
            return None
        membership = current_membership_for(*signed_in)
        return None if membership is None else (membership.household_id, membership.role)


_ENCODED: OrderedDict[int, tuple[dict[str, Any], str]] = OrderedDict()
ENCODED_KEPT = 2048


def _numbered(text: str, seq: int) -> str:
    """A JSON object's text with its `seq` added as the last key."""
    return f'{text[:-1]}, "seq": {seq}}}'


def encoded(payload: dict[str, Any]) -> str:
    """A shared thing frame as JSON, encoded once for every socket of the process that sends
    it (keyed by the object, which is kept alive meanwhile so that its id is not reused)."""
    hit = _ENCODED.get(id(payload))
    if hit is not None and hit[0] is payload:
        return hit[1]
    text = json.dumps(payload)
    _ENCODED[id(payload)] = (payload, text)
    if len(_ENCODED) > ENCODED_KEPT:
        _ENCODED.popitem(last=False)
    return text


def snapshot_parts(things: dict[str, Any], budget: int = SNAPSHOT_PART_BYTES) -> list[str]:
    """The snapshot's things as JSON object bodies (`"id":{view},…`) of at most `budget`
    bytes each; always at least one (maybe empty). A view too large for any frame is left
    out, logged: its card keeps the state it was drawn with rather than the page none."""
    parts: list[str] = []
    items: list[str] = []
    size = 0
    for pk, view in things.items():
        item = f"{json.dumps(pk)}:{json.dumps(view)}"
        if len(item) > MAX_SEND_BYTES - 200:
            log.warning("thing %s left out of a snapshot: its view is %d bytes", pk, len(item))
            continue
        if items and size + len(item) + 1 > budget:
            parts.append(",".join(items))
            items, size = [], 0
        items.append(item)
        size += len(item) + 1
    parts.append(",".join(items))
    return parts


def _moment(text: str) -> datetime | None:
    """The page's `since` (an ISO time it was drawn or last synced at); None if unusable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _refused(request: str, thing: int, status: str, message: str | None = None) -> dict[str, Any]:
    return dict(
        ControlResultEvent(
            type="control_result",
            request=request,
            thing=thing,
            status=status,  # type: ignore[typeddict-item]
            message=message or MESSAGES[status],
            latency_ms=None,
        )
    )


def _invalid(request: str, thing: Any, message: str) -> dict[str, Any]:
    return dict(
        ControlResultEvent(
            type="control_result",
            request=request,
            thing=thing if isinstance(thing, int) and not isinstance(thing, bool) else 0,
            status="invalid",
            message=message,
            latency_ms=None,
        )
    )
