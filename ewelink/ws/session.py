"""One websocket session per account: dispatch, handshake, heartbeat, commands, reconnects."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp

from ewelink.backoff import Backoff, RandomSource
from ewelink.errors import AuthError, EWeLinkError
from ewelink.governor import Clock, Pacer, Sleep
from ewelink.models import DispatchInfo, FirmwareFile, JsonDict, Thing
from ewelink.sequence import next_sequence
from ewelink.ws import frames
from ewelink.ws.batching import MERGE_WINDOW, UpdateMerger
from ewelink.ws.dispatch import DispatchCache, shared_dispatch_cache
from ewelink.ws.events import (
    CommandResult,
    CommandStatus,
    Connected,
    DeviceOnline,
    DeviceParams,
    Disconnected,
)
from ewelink.ws.state import HandshakeError, SessionState, SessionStats
from ewelink.ws.stream import EventHub, EventStream

if TYPE_CHECKING:
    from ewelink.client import EWeLinkClient

_LOG = logging.getLogger(__name__)

DEFAULT_HB_INTERVAL = 90.0  # seconds, when the handshake gives none (API document)
COMMAND_SPACING = 0.1  # seconds between commands on one account (notes §2.7)
REPLY_TIMEOUT = 5.0
CLOSE_RECHECK_S = 0.5  # close(): how long to wait before cancelling the loop again


class WsSession:
    """Keeps one live websocket for a logged-in client and reconnects forever.

    Stops (and raises ``AuthError`` to event iterators and ``wait_closed``) only when the
    cloud rejects the credentials after one token refresh.
    """

    def __init__(
        self,
        client: EWeLinkClient,
        *,
        reply_timeout: float = REPLY_TIMEOUT,
        handshake_timeout: float = 10.0,
        command_spacing: float = COMMAND_SPACING,
        merge_window: float = MERGE_WINDOW,
        backoff: Backoff | None = None,
        stable_after: float = 30.0,
        ping_ratio: tuple[float, float] = (0.8, 0.9),
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rand: RandomSource = random.random,
        dispatch_cache: DispatchCache | None = None,
        label: str = "",
    ) -> None:
        self.client = client
        # Names the session in log lines ("account 12"): a worker holds many at once.
        self._tag = f"[{label}] " if label else ""
        self._dispatch_cache = dispatch_cache or shared_dispatch_cache
        self._dispatched: tuple[str, DispatchInfo] | None = None
        self.reply_timeout = reply_timeout
        self.handshake_timeout = handshake_timeout
        self.stable_after = stable_after
        self.ping_ratio = ping_ratio
        self.backoff = backoff or Backoff(rand=rand)
        self.state = SessionState.IDLE
        self.stats = SessionStats()
        self.owners: dict[str, str] = {}
        self.hb_interval: float | None = None
        self.last_error: BaseException | None = None
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._pacer = Pacer(command_spacing, clock=clock, sleep=sleep)
        self._merger = UpdateMerger(self._send_update, window=merge_window)
        self._hub = EventHub()
        self._pending: dict[str, asyncio.Future[CommandResult]] = {}
        # A query's sequence -> its device: an answer without a deviceid is still its state.
        self._queried: dict[str, str] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._awaiting_pong = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the connection loop in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ewelink-ws")

    async def close(self) -> None:
        """Close the socket and stop reconnecting; event iterators end."""
        task = self._task
        while task is not None and not task.done():
            # Cancelled again until the loop has ended: a cancellation can be swallowed below
            # it (one that came as a connect finished; the loop then served a socket nobody
            # read, and a single cancel-and-await here waited until the test gave up).
            task.cancel()
            await asyncio.wait({task}, timeout=CLOSE_RECHECK_S)
        await self._merger.close(CommandResult(CommandStatus.NOT_CONNECTED))
        self.state = SessionState.CLOSED
        if not self._hub.ended:
            self._hub.end()

    async def wait_closed(self) -> None:
        """Wait until the loop stops; raises the AuthError that stopped it, if any."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._hub.fatal is not None:
            raise self._hub.fatal

    async def wait_connected(self) -> None:
        """Wait for a good handshake (wrap in ``asyncio.timeout``); AuthError if rejected."""
        while not self._connected.is_set():
            task = self._task
            if task is None or task.done():
                if self._hub.fatal is not None:
                    raise self._hub.fatal
                raise EWeLinkError("session is not running")
            waiter = asyncio.create_task(self._connected.wait())
            try:
                await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()

    async def __aenter__(self) -> WsSession:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def events(self) -> EventStream:
        """Subscribe to events; a subscriber joining while connected first gets ``Connected``."""
        stream = self._hub.subscribe()
        if self.connected and self.hb_interval is not None:
            stream.put(Connected(self._apikey(), self.hb_interval))
        return stream

    def learn_owners(self, things: Iterable[Thing]) -> None:
        """Remember owner apikeys of (shared) devices so commands carry the right ``apikey``."""
        for thing in things:
            if thing.device is not None and thing.device.apikey:
                self.owners[thing.device.deviceid] = thing.device.apikey

    # -- commands ----------------------------------------------------------------------------

    async def update(
        self,
        deviceid: str,
        params: JsonDict,
        *,
        owner_apikey: str | None = None,
        merge: bool = True,
    ) -> CommandResult:
        """Change params: the first change of a device goes out at once, those within 100 ms
        after it go out together as one trailing ``update`` (``UpdateMerger``)."""
        if owner_apikey:
            self.owners[deviceid] = owner_apikey
        if merge:
            result: CommandResult = await self._merger.submit(deviceid, params)
            return result
        return await self._send_update(deviceid, params)

    async def query(
        self, deviceid: str, keys: Sequence[str] = (), *, owner_apikey: str | None = None
    ) -> CommandResult:
        """Ask a device for params (all when ``keys`` is empty); the answer is in ``params``."""
        if owner_apikey:
            self.owners[deviceid] = owner_apikey
        return await self.command("query", deviceid, list(keys))

    async def upgrade(
        self, deviceid: str, *, model: str, version: str, bin_list: Sequence[FirmwareFile]
    ) -> CommandResult:
        """Tell a device to install firmware found by ``get_ota_info``."""
        params = {"model": model, "version": version, "binList": [b.to_wire() for b in bin_list]}
        return await self.command("upgrade", deviceid, params)

    async def command(
        self, action: str, deviceid: str, params: Any, *, reply_timeout: float | None = None
    ) -> CommandResult:
        """Send any device command and wait for the reply with its sequence."""
        ws = self._ws
        if ws is None or ws.closed:
            return CommandResult(CommandStatus.NOT_CONNECTED)
        await self._pacer.wait()
        sequence = next_sequence()
        apikey = self._apikey()
        frame = frames.command(
            action,
            deviceid=deviceid,
            owner_apikey=self.owners.get(deviceid, apikey),
            self_apikey=apikey,
            sequence=sequence,
            params=params,
        )
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._pending[sequence] = future
        if action == "query":
            self._queried[sequence] = deviceid
        try:
            await ws.send_str(frames.encode(frame))
            self.stats.commands += 1
            async with asyncio.timeout(reply_timeout or self.reply_timeout):  # see _handshake
                return await future
        except TimeoutError:
            return CommandResult(CommandStatus.TIMEOUT, sequence=sequence)
        except (aiohttp.ClientError, ConnectionError):
            return CommandResult(CommandStatus.NOT_CONNECTED, sequence=sequence)
        finally:
            self._pending.pop(sequence, None)
            self._queried.pop(sequence, None)

    async def _send_update(self, deviceid: str, params: JsonDict) -> CommandResult:
        self.stats.updates += 1
        return await self.command("update", deviceid, params)

    # -- connection loop ---------------------------------------------------------------------

    async def _run(self) -> None:
        refreshed = False  # one token refresh per run of 406s
        try:
            while True:
                self.state = SessionState.CONNECTING
                connected_for: float | None = None
                try:
                    connected_for = await self._connect_and_serve()
                    if connected_for is not None:
                        refreshed = False
                except HandshakeError as exc:
                    # Only a 406 gets here: logged in elsewhere, or a stale at.
                    if refreshed or not self._can_refresh():
                        raise AuthError("websocket handshake rejected", 406) from exc
                    refreshed = True
                    if await self._refresh():
                        continue
                except (AuthError, asyncio.CancelledError):
                    raise
                except Exception as exc:  # a bug must not end the session: log, back off
                    self.last_error = exc
                    _LOG.exception("%seWeLink websocket loop error", self._tag)
                await self._wait_before_retry(connected_for)
        except AuthError as exc:
            self._stop(exc)
        except asyncio.CancelledError:
            self._stop(None)
            raise

    async def _refresh(self) -> bool:
        """Refresh tokens after a 406; False (retry later) when the cloud is unreachable."""
        try:
            await self.client.http.refresh_tokens(stale_at=self._at())
        except AuthError:
            raise
        except EWeLinkError as exc:
            self.last_error = exc
            _LOG.info("%seWeLink token refresh failed, will retry: %s", self._tag, exc)
            return False
        return True

    def _stop(self, fatal: AuthError | None) -> None:
        self.state = SessionState.CLOSED
        self.last_error = fatal
        if fatal is not None:
            _LOG.warning("%seWeLink session stopped: credentials rejected (%s)", self._tag, fatal)
            self._hub.publish(Disconnected(f"auth: {fatal.message}", will_retry=False))
        self._hub.end(fatal)

    async def _wait_before_retry(self, connected_for: float | None) -> None:
        # A socket that dies right after opening is a failure like a refused connect.
        if connected_for is not None and connected_for >= self.stable_after:
            self.backoff.reset()
        else:
            self.stats.failures += 1
        delay = self.backoff.next_delay()
        self.state = SessionState.WAITING
        _LOG.info("%seWeLink websocket reconnect in %.1fs", self._tag, delay)
        await self._sleep(delay)

    async def _connect_and_serve(self) -> float | None:
        """One connection; returns how long it stayed up after the handshake (None: never)."""
        try:
            ws = await self._open()
        except HandshakeError as exc:
            if exc.code == 406:
                raise
            self.last_error = exc
            _LOG.info("%seWeLink websocket handshake failed: %s", self._tag, exc)
            return None
        except AuthError:
            raise
        except (EWeLinkError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.last_error = exc
            _LOG.info("%seWeLink websocket connect failed: %s", self._tag, exc)
            return None
        connected_at = self._clock()
        reason = "closed"
        try:
            reason = await self._serve(ws)
        finally:
            task = asyncio.current_task()
            closing = task is not None and task.cancelling() > 0  # close() was called
            self._connected.clear()
            self._ws = None
            self._forget_dispatch()  # the host may have moved: the next connect asks again
            self._fail_pending()
            with contextlib.suppress(Exception):
                await ws.close()
            reason = "closed by client" if closing else reason
            self._hub.publish(Disconnected(reason, will_retry=not closing))
        return self._clock() - connected_at

    async def _open(self) -> aiohttp.ClientWebSocketResponse:
        http = self.client.http
        where = http.endpoints.dispatch(http.region)
        info = await self._dispatch_cache.get(where, self.client.dispatch)
        self._dispatched = (where, info)
        url = http.endpoints.websocket(info.domain, info.port, http.region)
        try:
            ws = await http.session.ws_connect(
                url, autoping=True, timeout=aiohttp.ClientWSTimeout(ws_close=1.0)
            )
        except BaseException:
            self._forget_dispatch()
            raise
        try:
            reply = await self._handshake(ws)
        except BaseException:
            await ws.close()
            raise
        self.hb_interval = reply.hb_interval or DEFAULT_HB_INTERVAL
        self._ws = ws
        self._connected.set()
        self.state = SessionState.CONNECTED
        self.stats.connects += 1
        self._hub.publish(Connected(self._apikey(), self.hb_interval))
        return ws

    def _forget_dispatch(self) -> None:
        if self._dispatched is not None:
            self._dispatch_cache.forget(*self._dispatched)
            self._dispatched = None

    async def _handshake(self, ws: aiohttp.ClientWebSocketResponse) -> frames.HandshakeReply:
        self.stats.handshakes += 1
        hello = frames.user_online(
            at=self._at(),
            apikey=self._apikey(),
            appid=self.client.http.app_id,
            sequence=next_sequence(),
        )
        await ws.send_str(frames.encode(hello))
        try:
            # Not wait_for: on Python 3.11 it swallows a cancellation that comes as the reply
            # does (gh-86296), and a session closed mid-handshake then went on serving a
            # socket nobody read, its close() waiting on it.
            async with asyncio.timeout(self.handshake_timeout):
                message = await ws.receive()
        except TimeoutError as exc:
            raise HandshakeError("no handshake reply") from exc
        if message.type is not aiohttp.WSMsgType.TEXT:
            raise HandshakeError(f"socket closed during handshake ({message.type.name})")
        try:
            reply = frames.parse_frame(message.data, expecting_handshake=True)
        except frames.FrameError as exc:
            raise HandshakeError(f"malformed handshake reply: {exc}") from exc
        if not isinstance(reply, frames.HandshakeReply):
            raise HandshakeError("unexpected handshake reply")
        if reply.error != 0:
            raise HandshakeError(reply.reason or "handshake rejected", reply.error, reply.raw)
        return reply

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        """Read until the socket ends; the heartbeat ends it early if pongs stop."""
        self._awaiting_pong = False
        reader = asyncio.create_task(self._read(ws))
        heart = asyncio.create_task(self._heartbeat(ws))
        try:
            done, _ = await asyncio.wait({reader, heart}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, heart):
                task.cancel()
            await asyncio.gather(reader, heart, return_exceptions=True)
        if heart in done and not heart.cancelled() and heart.exception() is None:
            self.stats.dead_sockets += 1
            return "heartbeat: no pong"
        return f"closed by server (code {ws.close_code})"

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                self._awaiting_pong = False  # any frame proves the socket alive
                self._handle_text(message.data)
            elif message.type is aiohttp.WSMsgType.ERROR:
                return
            else:
                self.stats.malformed += 1

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Ping at 0.8-0.9 x hbInterval; a ping unanswered by the next one means dead."""
        interval = self.hb_interval or DEFAULT_HB_INTERVAL
        low, high = self.ping_ratio
        while True:
            await self._sleep(interval * (low + (high - low) * self._rand()))
            if self._awaiting_pong:
                return
            self._awaiting_pong = True
            self.stats.pings += 1
            await ws.send_str(frames.PING)

    def _handle_text(self, text: str) -> None:
        try:
            frame = frames.parse_frame(text)
        except frames.FrameError as exc:
            self.stats.malformed += 1
            _LOG.debug("skipping malformed frame: %s", exc)
            return
        if isinstance(frame, frames.Pong):
            self.stats.pongs += 1
        elif isinstance(frame, frames.CommandReply):
            self._resolve(frame)
        elif isinstance(frame, frames.DeviceUpdate):
            self._emit(DeviceParams(frame.deviceid, frame.params, frame.raw))
        elif isinstance(frame, frames.SysMessage):
            if frame.online is not None:
                self._emit(DeviceOnline(frame.deviceid, frame.online, frame.raw))
            elif frame.params:
                self._emit(DeviceParams(frame.deviceid, frame.params, frame.raw))
        else:
            self.stats.unknown += 1
            _LOG.debug("skipping frame %r", frame)

    def _resolve(self, reply: frames.CommandReply) -> None:
        future = self._pending.pop(reply.sequence, None)
        if future is not None and not future.done():
            future.set_result(
                CommandResult.from_error(reply.error, reply.params, reply.sequence, reply.raw)
            )
        deviceid = reply.deviceid or self._queried.get(reply.sequence)
        if reply.error == 0 and deviceid and reply.params:
            # A query's answer is state too: hosts merge it like a pushed update, in the
            # order of the frames (a push read after it is newer).
            self._emit(DeviceParams(deviceid, reply.params, reply.raw))

    def _emit(self, event: DeviceParams | DeviceOnline) -> None:
        self.stats.events += 1
        self._hub.publish(event)

    def _fail_pending(self) -> None:
        for sequence, future in list(self._pending.items()):
            if not future.done():
                future.set_result(CommandResult(CommandStatus.NOT_CONNECTED, sequence=sequence))
        self._pending.clear()

    def _can_refresh(self) -> bool:
        tokens = self.client.tokens
        return tokens is not None and bool(tokens.rt)

    def _at(self) -> str:
        tokens = self.client.tokens
        if tokens is None:
            raise AuthError("not logged in", 401)
        return tokens.at

    def _apikey(self) -> str:
        tokens = self.client.tokens
        return tokens.apikey if tokens is not None else ""
