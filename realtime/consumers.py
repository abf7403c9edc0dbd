"""The browser's websocket: one per page, bound to the user's current household.

Connect → join the household's group → the workers commit their state → snapshot → diffs.
Group events that arrive before the snapshot is out are held and sent right after it, so
the page never applies an older snapshot over a newer event. Frames are numbered; the page
acks them, and a page that falls too far behind is closed (it reconnects and gets a
snapshot) rather than letting its backlog grow in the server's memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.middleware import SESSION_KEY
from accounts.services import memberships_of
from realtime import redis as keys
from realtime.control import ControlRequest, run_control
from realtime.events import ControlResultEvent, household_group
from realtime.snapshot import build_snapshot, flush_workers

log = logging.getLogger(__name__)
CLOSE_UNAUTHENTICATED = 4401
CLOSE_NO_HOUSEHOLD = 4403
CLOSE_TOO_SLOW = 4408
CLOSE_NO_SNAPSHOT = 1011  # a server error: the page retries
MAX_UNACKED = 1000
WATCH_TTL = 90  # seconds; refreshed while the page is open (drives uiActive)
# Messages whose handlers never touch the database themselves (what they do reach goes
# through database_sync_to_async, which cleans up connections in its own thread).
NO_DB_MESSAGES = frozenset({"household.event", "control.reply", "flush.reply", "websocket.receive"})


class HouseholdConsumer(AsyncJsonWebsocketConsumer):
    """Joins only the group of the household chosen in the user's session."""

    group: str | None = None

    async def connect(self) -> None:
        self.seq = 0
        self.acked = 0
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.held: list[dict[str, Any]] | None = []  # events before the snapshot; None after
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.household_id = await self._household_id(user, self.scope.get("session"))
        if self.household_id is None:
            await self.close(code=CLOSE_NO_HOUSEHOLD)
            return
        # Join before reading the snapshot, so nothing falls between the two.
        self.group = household_group(self.household_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # In a task: the workers' flush replies are dispatched only once connect() returns.
        self._spawn(self._start())

    async def _start(self) -> None:
        try:
            await flush_workers(self.household_id, self._ask_worker, self.channel_name)
            snapshot = await database_sync_to_async(build_snapshot)(self.household_id)
        except Exception:
            log.exception("no snapshot for household %s", self.household_id)
            await self.close(code=CLOSE_NO_SNAPSHOT)  # the page reconnects with backoff
            return
        await self._send(dict(snapshot))
        while self.held:  # no await between the last check and `None`: nothing slips past
            await self._send(self.held.pop(0))
        self.held = None
        await self._keep_watching()

    async def disconnect(self, code: int) -> None:
        for task in list(getattr(self, "tasks", ())):
            task.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

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
        if self.held is None:
            await self._send(dict(message["payload"]))
        elif len(self.held) < MAX_UNACKED:
            self.held.append(dict(message["payload"]))
        else:
            await self.close(code=CLOSE_TOO_SLOW)

    async def control_reply(self, message: dict[str, Any]) -> None:
        future = self.pending.get(str(message.get("request")))
        if future is not None and not future.done():
            future.set_result(message)

    flush_reply = control_reply

    # ------------------------------------------------------------------------------------

    async def _send(self, payload: dict[str, Any]) -> None:
        if self.seq - self.acked >= MAX_UNACKED:
            log.info("closing a page socket %d frames behind", self.seq - self.acked)
            await self.close(code=CLOSE_TOO_SLOW)
            return
        self.seq += 1
        payload["seq"] = self.seq
        await self.send_json(payload)

    async def _control(self, content: dict[str, Any]) -> None:
        request = str(content.get("request") or uuid.uuid4().hex)[:64]
        thing = content.get("thing")
        control = content.get("control")
        if not isinstance(thing, int) or not isinstance(control, str):
            await self._send(_invalid(request, thing, "A control needs a thing id and a name."))
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
        result = await run_control(req, self._ask_worker, self.channel_name)
        await self._send(dict(result))

    async def _ask_worker(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[message["request"]] = future
        try:
            await self.channel_layer.send(channel, message)
            return await future
        finally:
            self.pending.pop(message["request"], None)

    async def _keep_watching(self) -> None:
        """Tell the workers someone is looking at this household (live power readings)."""
        redis = keys.client()
        while True:
            await redis.set(keys.watch_key(self.household_id), 1, ex=WATCH_TTL)
            await asyncio.sleep(WATCH_TTL / 3)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @database_sync_to_async
    def _household_id(self, user: Any, session: Any) -> int | None:
        ids = [m.household_id for m in memberships_of(user)]
        wanted = session.get(SESSION_KEY) if session is not None else None
        if wanted in ids:
            return int(wanted)
        return ids[0] if ids else None


def _invalid(request: str, thing: Any, message: str) -> dict[str, Any]:
    return dict(
        ControlResultEvent(
            type="control_result",
            request=request,
            thing=thing if isinstance(thing, int) else 0,
            status="invalid",
            message=message,
            latency_ms=None,
        )
    )
