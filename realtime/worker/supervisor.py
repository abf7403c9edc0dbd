"""The realtime worker: one cloud socket per active account of its shard, leases, commands.

Every `poll_interval` it compares the accounts it should hold with those it holds: new,
relinked and re-enabled accounts are picked up, unlinked or disabled ones dropped, leases
renewed, and tokens refreshed elsewhere adopted. Controls from the web arrive on its own
Channels channel (the value of its leases) and are answered on the sender's channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import close_old_connections
from django.db.models import TextField
from django.db.models.functions import Cast, Mod
from django_scopes import scopes_disabled
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts import log_context
from accounts.models import ConnectionState, LinkedAccount, LinkStatus
from realtime import redis as keys
from realtime.events import PublishNow, apublish
from realtime.metrics import (
    ACCOUNTS_CONNECTED,
    ACCOUNTS_HELD,
    LEASE_LOSSES,
    REPORTS_HELD,
    WORKER_CONTROLS,
)
from realtime.worker.connection import AccountConnection, TokensReplaced
from realtime.worker.connection_states import ConnectionStates
from realtime.worker.ingest import Ingestor, LiveThing, StateWriter, load_devices_of
from realtime.worker.leases import LeaseKeeper, LeaseStore
from realtime.worker.tasks import cancel_and_wait, in_turns

log = logging.getLogger(__name__)
LIVE_REQUEST_EVERY = 45.0  # uiActive lasts 60 s; renew before it lapses
WATCH_CHECK_EVERY = 5.0
ALIVE_WITHIN = 30.0  # seconds: as long as its report in Redis lives
# Sockets being opened at once (dispatch, connect, handshake): thousands at once
# would only queue in the loop, and starve everything else of it.
MAX_OPENING = 64
START_BATCH = 500  # accounts whose things are read in one query when a round starts them


@dataclass(frozen=True)
class Shard:
    """This worker's part of the accounts: those whose id % count == index."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"--shard must look like I/N, got {text!r}") from None
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"--shard {text}: need 0 <= I < N")
        return cls(index, count)


@dataclass(frozen=True, slots=True)
class WantedAccount:
    """What a round needs of an active account: no tokens (decrypted only when needed)."""

    pk: int
    household_id: int
    # `tokens_refreshed_at` as the database writes it in text: compared with the last one
    # seen, never parsed (turning 10,000 of them into datetimes each round was most of it).
    tokens_mark: str | None
    connection_state: str
    time_zone: str  # its household's


def wanted_accounts(shard: Shard) -> dict[int, WantedAccount]:
    """Active accounts of the shard, read every round: plain rows, not model instances (a
    worker holding 10,000 accounts spent a tenth of its time building those)."""
    with scopes_disabled():
        rows = (
            LinkedAccount.objects.filter(status=LinkStatus.ACTIVE)
            .alias(shard=Mod("pk", shard.count))
            .filter(shard=shard.index)
            .values_list(
                "pk",
                "household_id",
                Cast("tokens_refreshed_at", output_field=TextField()),
                "connection_state",
                "household__time_zone",
            )
        )
        return {row[0]: WantedAccount(*row) for row in rows}


def full_account(account_id: int) -> LinkedAccount:
    with scopes_disabled():
        return LinkedAccount.objects.get(pk=account_id)


def full_accounts(account_ids: list[int]) -> list[LinkedAccount]:
    """Accounts with their tokens, in one query (a worker starting takes thousands)."""
    with scopes_disabled():
        return list(LinkedAccount.objects.filter(pk__in=account_ids).order_by("pk"))


class Worker:
    """Runs until `stop()`; everything it starts is kept and cancelled on the way out."""

    def __init__(
        self,
        shard: Shard = Shard(),
        *,
        poll_interval: float = 2.0,
        lease_ttl: float = 15.0,
        flush_interval: float = 0.5,
        session_options: dict[str, Any] | None = None,
    ) -> None:
        self.shard = shard
        self.poll_interval = poll_interval
        self.lease_ttl = lease_ttl
        # A lease taken from a holder that may still have its socket open is used only after
        # one renewal interval (the keeper's, lease_ttl / 3) and a margin: by then that holder
        # has seen the loss and closed its socket, so the cloud never sees two sessions.
        self.takeover_grace = lease_ttl / 3 + 1.0
        self.session_options = session_options or {}
        self.name = f"{socket.gethostname()}-{os.getpid()}"
        self.writer = StateWriter(flush_interval)
        self.ingestor = Ingestor(apublish, self.writer, PublishNow())
        self.connections: dict[int, AccountConnection] = {}
        self._runs: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._leases: LeaseStore | None = None
        self.keeper: LeaseKeeper | None = None
        self._waiting: dict[int, float] = {}  # leases taken, unused until then (monotonic)
        self._succeeded: set[int] = set()  # freed from a dead predecessor: no socket open
        self._opening = asyncio.Semaphore(MAX_OPENING)
        self._states = ConnectionStates()
        self.channel = ""
        self.reconciled_at: float | None = None  # monotonic time of the last full round

    def check_alive(self) -> str | None:
        """A readiness check: this worker went through its accounts lately."""
        if self.reconciled_at is None:
            return "not started yet"
        late = time.monotonic() - self.reconciled_at
        return None if late < ALIVE_WITHIN else f"last round {late:.0f} s ago"

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        layer = get_channel_layer()
        self.channel = await layer.new_channel("realtime.")
        leases = self._leases = LeaseStore(keys.client(), self.channel, self.lease_ttl)
        await self._succeed_dead_predecessor()

        async def lost(account_id: int) -> None:
            if self._waiting.pop(account_id, None) is not None:
                return  # taken back by its holder before we used it
            LEASE_LOSSES.inc()
            await self._drop(account_id, leases, release=False)

        keeper = LeaseKeeper(
            leases, lambda: [*self.connections, *self._waiting], lost, self.lease_ttl / 3
        )
        self.keeper = keeper
        timeout = aiohttp.ClientTimeout(total=30, connect=10)
        # Each held account keeps a websocket open on this session: aiohttp's default cap of
        # 100 connections would leave every account past the 100th waiting for a slot.
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            background = [
                self._spawn(self.writer.run()),
                self._spawn(self._serve_commands(layer)),
                self._spawn(self._live_requests()),
                self._spawn(keeper.run()),
            ]
            try:
                while not self._stop.is_set():
                    try:
                        await self._reconcile(http, leases)
                    except Exception:
                        # Redis restarting or the database connection cut (issue 17's soak:
                        # the worker exited and dropped every socket): keep what we hold and
                        # try again next round; the leases sort out who holds what.
                        log.exception("reconcile round failed; trying again")
                        await sync_to_async(close_old_connections)()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.poll_interval)
            finally:
                for task in background:
                    task.cancel()
                await self._drop_all(leases)
                await self.writer.flush()
                # Commands, reloads and live requests still running end here: a stopped
                # worker has nothing left running on its loop.
                await cancel_and_wait(self._tasks)

    async def _succeed_dead_predecessor(self) -> None:
        """Free at once the leases of this shard's previous worker on this host, if it died.

        A worker restarted after a crash (by the launcher or systemd) would otherwise wait out
        its predecessor's leases (up to their TTL), and controls sent to the dead one's channel
        meanwhile would time out. Only a predecessor whose process is gone is succeeded: a live
        one (a second worker of the shard started by hand) keeps its accounts.
        """
        redis = keys.client()
        key = keys.predecessor_key(socket.gethostname(), self.shard.index, self.shard.count)
        previous = await redis.getset(
            key, json.dumps({"pid": os.getpid(), "channel": self.channel})
        )
        if not previous:
            return
        record = json.loads(previous)
        if record.get("pid") != os.getpid() and _process_alive(int(record.get("pid") or 0)):
            return
        accounts = await sync_to_async(wanted_accounts)(self.shard)
        dead = LeaseStore(redis, str(record.get("channel")), self.lease_ttl)
        for account_id in accounts:
            if await dead.release(account_id):  # only where the dead worker still holds it
                self._succeeded.add(account_id)
        log.info("took over from worker process %s, which stopped", record.get("pid"))

    async def _reconcile(self, http: aiohttp.ClientSession, leases: LeaseStore) -> None:
        wanted = await sync_to_async(wanted_accounts)(self.shard)
        for account_id in [a for a in self.connections if a not in wanted]:
            await self._drop(account_id, leases)
        # Renewals run on their own timer (LeaseKeeper); new leases are taken in one round
        # trip, their accounts read in one query, however many there are.
        taken = self._waited_out(wanted)
        for account_id in taken - wanted.keys():
            await leases.release(account_id)
        taken &= wanted.keys()
        free = [a for a in wanted if a not in self.connections and a not in self._waiting]
        for account_id in await leases.acquire_many([a for a in free if a not in taken]):
            if self._may_be_open_elsewhere(wanted[account_id]):
                self._waiting[account_id] = time.monotonic() + self.takeover_grace
            else:
                taken.add(account_id)
        self._succeeded -= taken
        try:
            accounts = await sync_to_async(full_accounts)(sorted(taken))
            # Their things too, a batch of accounts per query: a query each was a quarter of
            # the worker's time while it opened 10,000 sockets.
            for first in range(0, len(accounts), START_BATCH):
                batch = accounts[first : first + START_BATCH]
                things = await sync_to_async(load_devices_of)([a.pk for a in batch])
                for account in batch:
                    # The mark was read before the account: a refresh in between is adopted
                    # in the next round.
                    mark = wanted[account.pk].tokens_mark
                    self._start(account, http, things.get(account.pk, []), mark)
        finally:
            # Gone meanwhile, or the database went away (a failed round): free them now, not
            # after their TTL.
            for account_id in taken - set(self.connections):
                await leases.release(account_id)
        async for account_id, account in in_turns(wanted.items()):
            held = self.connections.get(account_id)
            if held is None or account_id in taken:
                continue
            if account.household_id != held.household_id:  # moved (accounts/moving.py)
                await self._drop(account_id, leases)  # the next round starts it afresh
            elif account.tokens_mark != held.tokens_mark:
                held.adopt_tokens(await sync_to_async(full_account)(account_id))
                held.tokens_mark = account.tokens_mark
        # A household that changed its time zone gets it in the next card bodies.
        zones = {a.household_id: a.time_zone for a in wanted.values()}
        self.ingestor.set_time_zones(zones)
        connected, reports = await self._tally()
        health = self.health(connected)
        ACCOUNTS_HELD.set(health["held"])
        ACCOUNTS_CONNECTED.set(health["connected"])
        REPORTS_HELD.set(reports)
        async with keys.client().pipeline(transaction=False) as pipe:
            pipe.set(keys.alive_key(self.name), json.dumps(health), ex=30)
            pipe.set(keys.HEARTBEAT_KEY, self.name, ex=keys.HEARTBEAT_TTL)
            await pipe.execute()
        self.reconciled_at = time.monotonic()

    def _waited_out(self, wanted: dict[int, WantedAccount]) -> set[int]:
        """Leases whose grace is over; still ours, since the keeper forgets lost ones."""
        now = time.monotonic()
        done = {a for a, at in self._waiting.items() if at <= now or a not in wanted}
        for account_id in done:
            del self._waiting[account_id]
        return done

    def _may_be_open_elsewhere(self, account: WantedAccount) -> bool:
        """Whether another worker may still have this account's socket open: the database
        says it is up (a worker that closes it says offline first), and it is not one whose
        holder we know died. A Redis that restarted empty or a holder too slow to renew
        leaves such a lease free while its socket is up (issue 17's soak)."""
        return (
            account.connection_state != ConnectionState.OFFLINE
            and account.pk not in self._succeeded
        )

    async def _tally(self) -> tuple[int, int]:
        """Sockets up and reports held for replay, over every held account (in turns)."""
        connected = reports = 0
        async for connection in in_turns(self.connections.values()):
            connected += connection.connected
            reports += connection.reports_held()
        return connected, reports

    def health(self, connected: int | None = None) -> dict[str, Any]:
        """What `realtime_health` and the benchmark read: accounts held, sockets up (counted
        here unless the round just did)."""
        if connected is None:
            connected = sum(1 for c in self.connections.values() if c.connected)
        shard = f"{self.shard.index}/{self.shard.count}"
        return {"shard": shard, "held": len(self.connections), "connected": connected}

    def _start(
        self,
        account: LinkedAccount,
        http: aiohttp.ClientSession,
        things: list[LiveThing],
        tokens_mark: str | None,
    ) -> None:
        connection = AccountConnection(
            account,
            http,
            self.ingestor,
            apublish,
            things,
            self.session_options,
            opening=self._opening,
            states=self._states,
            tokens_mark=tokens_mark,
        )
        self.connections[account.pk] = connection
        self._runs[account.pk] = self._spawn(self._hold(connection))

    async def _hold(self, connection: AccountConnection) -> None:
        try:
            await connection.run()
        except TokensReplaced:
            log.info("account %s: relinked meanwhile; starting it afresh", connection.account_id)
            await self._let_go(connection)
        except Exception:
            log.exception(
                "account %s: connection loop failed; restarting it", connection.account_id
            )
            await self._let_go(connection)
        # Rejected credentials end the run; the account is no longer wanted until relinked.

    async def _let_go(self, connection: AccountConnection) -> None:
        """Forget a failed connection so that the next reconcile starts the account afresh."""
        account_id = connection.account_id
        if self.connections.get(account_id) is connection:
            del self.connections[account_id]
            self._runs.pop(account_id, None)
            self.ingestor.forget(account_id)
        with contextlib.suppress(Exception):
            await connection.close()
        if self._leases is not None:
            await self._leases.release(account_id)

    async def _drop(self, account_id: int, leases: LeaseStore, *, release: bool = True) -> None:
        connection = self.connections.pop(account_id, None)
        run = self._runs.pop(account_id, None)
        if connection is not None:
            await connection.close()
        if run is not None:
            run.cancel()
        self.ingestor.forget(account_id)
        if release:
            await leases.release(account_id)

    async def _drop_all(self, leases: LeaseStore) -> None:
        for account_id in list(self.connections):
            await self._drop(account_id, leases)
        for account_id in list(self._waiting):
            del self._waiting[account_id]
            await leases.release(account_id)

    async def _serve_commands(self, layer: Any) -> None:
        while True:
            message = await layer.receive(self.channel)
            kind = message.get("type")
            if kind == "device.command":
                self._spawn(self._run_command(layer, message))
            elif kind == "device.upgrade":
                self._spawn(self._run_upgrade(layer, message))
            elif kind == "state.flush":
                self._spawn(self._flush_for_page(layer, message))
            elif kind == "account.reload":
                self._spawn(self._reload(message.get("account", -1)))

    async def _reload(self, account_id: int) -> None:
        """Homes, rooms or things of a held account changed elsewhere: take the new layout."""
        connection = self.connections.get(account_id)
        if connection is not None:
            await self.writer.flush()  # what we hold goes to the database first
            await connection.reload_in_turn()

    async def _flush_for_page(self, layer: Any, message: dict[str, Any]) -> None:
        """A page is about to read its snapshot: commit what we hold in memory first."""
        await self.writer.flush()
        await _reply(layer, message, {"type": "flush.reply", "request": message["request"]})

    async def _run_command(self, layer: Any, message: dict[str, Any]) -> None:
        connection = self.connections.get(message.get("account", -1))
        reply: dict[str, Any] = {"type": "control.reply", "request": message.get("request")}
        if connection is not None:  # this command's own task: its lines name the account
            log_context.bind(household=connection.household_id, account=connection.account_id)
        if connection is None or not connection.connected:
            reply |= {"status": "not_connected", "error": None, "latency_ms": 0}
        else:
            try:
                outcome = await connection.send(
                    message["deviceid"], message["params"], message.get("owner")
                )
            except Exception:  # the sender must hear back, or it waits out its timeout
                log.exception("account %s: command failed", connection.account_id)
                reply |= {"status": "error", "error": None, "latency_ms": 0}
            else:
                reply |= {
                    "status": outcome.status,
                    "error": outcome.error,
                    "latency_ms": outcome.latency_ms,
                }
                WORKER_CONTROLS.labels(outcome.status).observe(outcome.latency_ms / 1000)
        await _reply(layer, message, reply)

    async def _run_upgrade(self, layer: Any, message: dict[str, Any]) -> None:
        """A page's firmware upgrade (devices.firmware_upgrade): send it, say how it went."""
        connection = self.connections.get(message.get("account", -1))
        reply: dict[str, Any] = {"type": "upgrade.reply", "request": message.get("request")}
        if connection is None or not connection.connected:
            reply["status"] = "not_connected"
        else:
            try:
                status = await connection.upgrade(
                    message["deviceid"],
                    message["params"],
                    message.get("owner"),
                    message.get("from_version", ""),
                )
            except Exception:  # the sender must hear back, or it waits out its timeout
                log.exception("account %s: upgrade failed", connection.account_id)
                status = "error"
            reply["status"] = status
        await _reply(layer, message, reply)

    async def _live_requests(self) -> None:
        """uiActive for metering devices, only while someone has the household's page open."""
        redis = keys.client()
        sent: dict[int, float] = {}
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(WATCH_CHECK_EVERY)
            due = [
                c
                async for c in in_turns(self.connections.values())
                if c.connected
                and loop.time() - sent.get(c.account_id, -LIVE_REQUEST_EVERY) >= LIVE_REQUEST_EVERY
            ]
            households = sorted({c.household_id for c in due})
            try:
                watched_flags = (
                    await redis.mget([keys.watch_key(h) for h in households]) if due else []
                )
            except RedisConnectionError:
                continue  # Redis is restarting: the next round asks again
            watched = {h for h, flag in zip(households, watched_flags, strict=True) if flag}
            async for connection in in_turns(due):
                if connection.household_id in watched:
                    sent[connection.account_id] = loop.time()
                    # Accounts in parallel: each session paces its own commands.
                    self._spawn(self._live_request(connection))

    async def _live_request(self, connection: AccountConnection) -> None:
        for thing in self.ingestor.things_of(connection.account_id):
            request = thing.plugin.live_request(thing.params)
            if request is not None and thing.online and connection.connected:
                try:
                    await connection.send_live_request(thing.cloud_id, request)
                except Exception as exc:  # the socket dropped meanwhile: next round retries
                    log.info("account %s: uiActive not sent (%r)", connection.account_id, exc)
                    return

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)
        return task


def _log_failure(task: asyncio.Task[Any]) -> None:
    """A spawned task's error is logged when it ends, not as "never retrieved" at exit."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        name = getattr(task.get_coro(), "__qualname__", task.get_name())
        log.error("%s failed", name, exc_info=exc)


async def _reply(layer: Any, message: dict[str, Any], reply: dict[str, Any]) -> None:
    """Answer the page's consumer. With Redis down the answer cannot go: the consumer's own
    timeout then decides and records the command, so this is a warning, not a lost task."""
    try:
        await layer.send(message["reply_to"], reply)
    except Exception as exc:
        log.warning("%s for request %s not sent: %s", reply["type"], reply["request"], exc)


def _process_alive(pid: int) -> bool:
    """Whether a process of this host has that pid."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
