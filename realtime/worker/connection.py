"""One linked account's live cloud socket: its events in, its commands out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from asgiref.sync import sync_to_async

import ewelink
from accounts import log_context
from accounts.cloud import make_client, tokens_of
from accounts.cloud_metrics import CLOUD_ERRORS
from accounts.linking import explain, mark_needs_relink
from accounts.models import ConnectionState, LinkedAccount
from devices.sync import async_sync_account
from realtime.events import AccountEvent
from realtime.metrics import RECONNECTS
from realtime.worker.connection_states import ConnectionStates
from realtime.worker.ingest import Ingestor, LiveThing, Publish, load_devices
from realtime.worker.pending_reports import PendingReports, merges_by_default
from realtime.worker.tasks import cancel_and_wait

log = logging.getLogger(__name__)
# A device the cloud reports that we do not hold is looked up at most this often: a sync
# elsewhere may just have added it, but a device no sync stores must not cost a query a frame.
UNKNOWN_RECHECK_S = 30.0
# How long one account may hold an opening slot: a cloud that does not answer must not keep
# the others waiting (the session goes on trying in the background).
OPEN_WAIT_S = 10.0


class TokensReplaced(Exception):
    """The rejected tokens are no longer the account's: the worker starts it afresh."""


@dataclass(frozen=True)
class CommandOutcome:
    """How a control went on the socket, as the web will report it."""

    status: str  # ok / offline / timeout / error / not_connected
    error: int | None
    latency_ms: int


class AccountConnection:
    """Holds an account's `WsSession`, feeds its events to the ingestor, runs its commands."""

    def __init__(
        self,
        account: LinkedAccount,
        http: aiohttp.ClientSession,
        ingestor: Ingestor,
        publish: Publish,
        things: list[LiveThing],
        session_options: dict[str, Any] | None = None,
        opening: asyncio.Semaphore | None = None,
        states: ConnectionStates | None = None,
        tokens_mark: str | None = None,
    ) -> None:
        self.account_id = account.pk
        self.opening = opening or asyncio.Semaphore(1)
        self.states = states or ConnectionStates()
        self.household_id = account.household_id
        self.tokens_refreshed_at = account.tokens_refreshed_at
        self.tokens_mark = tokens_mark  # the supervisor's view of the refresh: WantedAccount
        self.client = make_client(http, account)
        options = {"label": f"account {account.pk}", **(session_options or {})}
        self.session = self.client.websocket(**options)
        self.ingestor = ingestor
        self.publish = publish
        self.connects = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        # Channel changes sent but not yet confirmed, per device and outlet (see _with_intent).
        self._intent: dict[str, dict[Any, dict[str, Any]]] = {}
        self._looked_up: dict[str, float] = {}  # unknown deviceid → monotonic time of lookup
        # Device reports that came while each running resync ran: its snapshot may predate
        # them, so they are applied again on top of it (see _resync).
        self._resyncing: set[PendingReports] = set()
        self._replaying = asyncio.Lock()
        self._handling = False  # run() is handling an event (it may be waiting in it)
        self.resyncs_done = 0  # finished, well or not (tests wait for a connect's heal)
        # Its things as the database had them, read with other accounts' (Worker._reconcile).
        self.take_things(things)

    @property
    def connected(self) -> bool:
        return self.session.connected

    async def run(self) -> None:
        """Until closed or the cloud rejects the credentials."""
        # Every line logged for this account from here on (tasks started here inherit it).
        log_context.bind(household=self.household_id, account=self.account_id)
        events = self.session.events()
        events.take_now(self._report_now)
        try:
            # A worker opens a bounded number of sockets at once (see MAX_OPENING); events
            # that come while others open are buffered in `events`.
            async with self.opening:
                await self.session.start()
                await self._set_connection(ConnectionState.CONNECTING)
                with contextlib.suppress(Exception):  # a failure shows in `events` below
                    async with asyncio.timeout(OPEN_WAIT_S):
                        await self.session.wait_connected()
            async for event in events:
                self._handling = True
                try:
                    await self._handle_or_log(event)
                finally:
                    self._handling = False
        except ewelink.AuthError as exc:
            log.warning("account %s: credentials rejected (%s)", self.account_id, exc.code)
            marked = await sync_to_async(mark_needs_relink)(
                self.account_id, explain(exc), tokens_from=self.tokens_refreshed_at
            )
            if not marked:  # relinked while this socket still held the old tokens
                raise TokensReplaced(self.account_id) from exc
            await self._set_connection(ConnectionState.OFFLINE, status="needs_relink")
        finally:
            events.close()

    def reports_held(self) -> int:
        """Reports kept for running resyncs to replay (folded: about one per device)."""
        # Asked of every held connection each round: nothing to add up unless one runs.
        return sum(map(len, self._resyncing)) if self._resyncing else 0

    async def close(self) -> None:
        await self.session.close()
        await cancel_and_wait(self._tasks)  # a resync or confirm cut short has cleaned up
        await self._set_connection(ConnectionState.OFFLINE)

    def adopt_tokens(self, account: LinkedAccount) -> None:
        """Another process refreshed the tokens: use them from now on."""
        self.client.http.tokens = tokens_of(account)
        self.tokens_refreshed_at = account.tokens_refreshed_at

    async def send(
        self, deviceid: str, params: dict[str, Any], owner: str | None
    ) -> CommandOutcome:
        """Update a device, then ask for its state so the page shows what it really did."""
        started = time.perf_counter()
        params = self._with_intent(deviceid, params)
        try:
            result = await self.session.update(deviceid, params, owner_apikey=owner or None)
        finally:
            self._intent.pop(deviceid, None)
        latency = int((time.perf_counter() - started) * 1000)
        if result.error:
            CLOUD_ERRORS.labels(str(result.error), "socket").inc()
        if result.ok:
            # The cloud does not echo new state after an update (notes §2.6): query it.
            self._spawn(self._confirm(deviceid))
        return CommandOutcome(str(result.status), result.error, latency)

    async def upgrade(
        self, deviceid: str, params: dict[str, Any], owner: str | None, from_version: str
    ) -> str:
        """The document's `upgrade` action; once accepted, the device's next reported
        fwVersion after its reboot decides how the upgrade went (see Ingestor)."""
        if owner:
            self.session.owners[deviceid] = owner
        # Watched before sending: the device may reboot before its reply is read.
        self.ingestor.watch_upgrade(self.account_id, deviceid, from_version)
        result = await self.session.command("upgrade", deviceid, params)
        # No reply in time may still be an upgrade under way: the document's devices may
        # "disconnect and download OTA directly". Its report or the timeout decides.
        if result.status not in (ewelink.CommandStatus.OK, ewelink.CommandStatus.TIMEOUT):
            self.ingestor.unwatch_upgrade(self.account_id, deviceid)
        return str(result.status)

    def _with_intent(self, deviceid: str, params: dict[str, Any]) -> dict[str, Any]:
        """Keep quick clicks on two channels of a full-array device from undoing each other.

        The web builds a Zigbee multi-gang command as the whole `switches` array from the
        stored state, so a second click within the merge window would carry the first
        channel's old value. Outlets that differ from the known state are what the person
        meant; every pending command is resent with all of them applied.
        """
        switches = params.get("switches")
        live = self.ingestor.get(self.account_id, deviceid)
        if live is None or not isinstance(switches, list):
            return params
        current = _by_outlet(live.params.get("switches"))
        if not current or len(switches) < len(current):
            return params  # a partial array: the session's merger combines those by outlet
        intent = self._intent.setdefault(deviceid, {})
        for outlet, item in _by_outlet(switches).items():
            if current.get(outlet, {}).get("switch") != item.get("switch"):
                intent[outlet] = item
        merged = [intent.get(outlet, item) for outlet, item in sorted(current.items())]
        return {**params, "switches": merged}

    async def send_live_request(self, deviceid: str, params: dict[str, Any]) -> None:
        """uiActive and friends: no reply needed, no query after."""
        await self.session.update(deviceid, params, merge=False)

    async def _confirm(self, deviceid: str) -> None:
        # The answer comes as the session's DeviceParams event, in frame order: applied here
        # after the await, it could overwrite a push that came after it.
        await self.session.query(deviceid)

    def _report_now(self, event: ewelink.Event) -> bool:
        """The session's reader offers each event here first: a report of a device we hold
        is kept for running resyncs, applied and published in the reader's turn, unless it
        must wait (another event is being handled, a resync replays, Redis is behind). That
        saves the hop to this connection's task (issue 18). Anything else: False, and `run`
        handles it from the queue."""
        if self._handling or self._replaying.locked() or not self.ingestor.ready_now():
            return False
        if not isinstance(event, ewelink.DeviceParams | ewelink.DeviceOnline):
            return False
        if self.ingestor.get(self.account_id, event.deviceid) is None:
            return False  # `_take_up` may look it up (a wait)
        self._keep_for_resyncs(event)
        if isinstance(event, ewelink.DeviceParams):
            return self.ingestor.params_now(self.account_id, event.deviceid, event.params)
        return self.ingestor.online_now(self.account_id, event.deviceid, event.online)

    async def _handle_or_log(self, event: ewelink.Event) -> None:
        try:
            await self._handle(event)
        except Exception:
            # One event lost (Redis or the database hiccuped), not the account's stream.
            log.exception("account %s: %s not handled", self.account_id, type(event).__name__)

    async def _handle(self, event: ewelink.Event) -> None:
        if isinstance(event, ewelink.DeviceParams | ewelink.DeviceOnline):
            async with self._replaying:  # a resync's reload and replay go first (see _resync)
                await self._report(event)
        elif isinstance(event, ewelink.Connected):
            self.connects += 1
            log.debug("account %s: websocket up (connect %d)", self.account_id, self.connects)
            if self.connects > 1:
                RECONNECTS.inc()
            await self._set_connection(ConnectionState.ONLINE)
            # Every connect heals with a sync, the first one too: however recent the last
            # sync, nobody was listening between it and this socket (a worker killed or
            # restarted, a lease taken over), and the cloud does not replay what it pushed.
            self._spawn(self._resync())
        elif isinstance(event, ewelink.Disconnected):
            log.debug("account %s: websocket down (%s)", self.account_id, event.reason)
            await self._set_connection(ConnectionState.OFFLINE)

    async def _report(self, event: ewelink.DeviceParams | ewelink.DeviceOnline) -> None:
        await self._take_up(event.deviceid)
        self._keep_for_resyncs(event)
        if isinstance(event, ewelink.DeviceParams):
            await self.ingestor.on_params(self.account_id, event.deviceid, event.params)
        else:
            await self.ingestor.on_online(self.account_id, event.deviceid, event.online)

    def _keep_for_resyncs(self, event: ewelink.DeviceParams | ewelink.DeviceOnline) -> None:
        """Each running resync replays the reports that came while it ran (see _resync)."""
        if not self._resyncing:
            return
        if isinstance(event, ewelink.DeviceParams):
            thing = self.ingestor.get(self.account_id, event.deviceid)
            foldable = thing is not None and merges_by_default(thing.plugin)
            for pending in self._resyncing:
                pending.params(event.deviceid, event.params, foldable=foldable)
        else:
            for pending in self._resyncing:
                pending.online(event.deviceid, event.online)

    async def _take_up(self, deviceid: str) -> None:
        """A frame of a device we do not hold: a sync elsewhere may have added it before its
        reload notice reached us, so look again (rarely) rather than drop its news."""
        if self.ingestor.get(self.account_id, deviceid) is not None:
            return
        now = time.monotonic()
        if now - self._looked_up.get(deviceid, -UNKNOWN_RECHECK_S) < UNKNOWN_RECHECK_S:
            return
        self._looked_up[deviceid] = now
        await self.ingestor.writer.flush()  # what we hold goes to the database first
        await self.reload_things()

    async def _resync(self) -> None:
        """Heal what happened while the socket was down: a full sync, then fresh state.

        Reports that arrive while the sync runs may be newer than its snapshot, which the
        reload would otherwise put back over them (the page and, via the writer, the
        database then kept an old state until the device's next report): they are applied
        again on top of the reloaded state, in order. Reports handled from the reload on
        wait for the replay, so none lands between them and is then replayed over.
        """
        pending = PendingReports()
        self._resyncing.add(pending)
        try:
            try:
                await self.ingestor.writer.flush()  # what we hold goes to the database first
                await async_sync_account(self.account_id, self.client)
            except ewelink.EWeLinkError as exc:
                log.warning("account %s: resync failed: %s", self.account_id, type(exc).__name__)
                return
            async with self._replaying:
                self._resyncing.discard(pending)  # what comes from here on is applied once
                await self._reload_and_replay(pending)
        finally:
            self.resyncs_done += 1
            self._resyncing.discard(pending)

    async def _reload_and_replay(self, pending: PendingReports) -> None:
        await self.reload_and_announce()
        for deviceid, kind, value in pending:
            if kind == "params":
                await self.ingestor.on_params(self.account_id, deviceid, value)
            else:
                await self.ingestor.on_online(self.account_id, deviceid, value)

    async def reload_things(self) -> None:
        self.take_things(await sync_to_async(load_devices)(self.account_id))

    async def reload_and_announce(self) -> None:
        """Reload, then send the pages every thing whose event the reload changed. A state
        the database had and the worker did not (a sync elsewhere stored it) would otherwise
        never reach them: a later frame with that value looks like no news."""
        before = {t.cloud_id: t.event() for t in self.ingestor.things_of(self.account_id)}
        await self.reload_things()
        for thing in self.ingestor.things_of(self.account_id):
            event = thing.event()
            if before.get(thing.cloud_id) != event:
                await self.publish(thing.household_id, event)

    async def reload_in_turn(self) -> None:
        """`reload_and_announce` for a reload asked for elsewhere, with reports held back
        until it is done, as during a resync's: one applied while the database is read
        would be undone when the things read replace the ones it changed."""
        async with self._replaying:
            await self.reload_and_announce()

    def take_things(self, things: list[LiveThing]) -> None:
        """The account's things as the database has them now."""
        self.ingestor.load(self.account_id, things)
        self.session.owners.update({t.cloud_id: t.owner_apikey for t in things if t.owner_apikey})

    async def _set_connection(self, state: str, status: str = "active") -> None:
        await self.states.store(self.account_id, state)
        event = AccountEvent(type="account", id=self.account_id, connection=state, status=status)  # type: ignore[typeddict-item]
        await self.publish(self.household_id, event)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _by_outlet(items: Any) -> dict[Any, dict[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {i["outlet"]: i for i in items if isinstance(i, dict) and "outlet" in i}
