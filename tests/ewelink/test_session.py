"""The websocket session against the scriptable fake cloud (real sockets, short timings)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ewelink import (
    AuthError,
    Backoff,
    CommandStatus,
    Connected,
    DeviceOnline,
    DeviceParams,
    Disconnected,
    EWeLinkClient,
    Thing,
    Tokens,
    WsSession,
)
from ewelink.ws.events import Event
from tests.ewelink.fakecloud import FakeCloud
from tests.waiting import async_until

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def cloud() -> AsyncIterator[FakeCloud]:
    fake = FakeCloud()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
def client(cloud: FakeCloud, http_session: aiohttp.ClientSession) -> EWeLinkClient:
    tokens = Tokens(at="AT1", rt="RT1", region="eu", apikey="me")
    return EWeLinkClient(
        http_session,
        app_id="APP",
        app_secret="s",
        tokens=tokens,
        base_url_template=cloud.template,
    )


HEARTBEAT_WAIT = 145.0 * 0.8  # what the heartbeat asks for with rand() == 0


class RecordingSleep:
    """Fast-forward sleep: records reconnect delays (not heartbeat waits), yields briefly."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.heartbeat_waits = 0
        self._changed = asyncio.Event()

    async def until(self, count: int) -> None:
        """Wait (up to 5 s) until ``count`` reconnect delays were requested."""
        async with asyncio.timeout(5):
            while len(self.delays) < count:
                self._changed.clear()
                await self._changed.wait()

    async def __call__(self, seconds: float) -> None:
        if seconds == HEARTBEAT_WAIT:
            self.heartbeat_waits += 1
            await asyncio.sleep(3600)
        self.delays.append(seconds)
        self._changed.set()
        await asyncio.sleep(0.01)


async def drain(events: AsyncIterator[Event]) -> list[Event]:
    """Collect events until the stream ends (5 s at most)."""
    async with asyncio.timeout(5):
        return [event async for event in events]


async def next_event(events: AsyncIterator[Event], kind: type, within: float = 5.0) -> Event:
    async with asyncio.timeout(within):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"no {kind.__name__} event")


async def test_handshake_commands_and_events(cloud: FakeCloud, client: EWeLinkClient) -> None:
    async with client.websocket(command_spacing=0.05) as session:
        events = session.events()
        connected = await next_event(events, Connected)
        assert connected == Connected(apikey="me", hb_interval=145.0)
        shared = Thing.from_raw({"itemType": 2, "itemData": {"deviceid": "d2", "apikey": "owner"}})
        session.learn_owners([shared])
        result = await session.update("d2", {"switch": "on"}, merge=False)
        assert result.status is CommandStatus.OK
        assert result.ok
        sent = json.loads(cloud.ws_received[-1])
        assert (sent["action"], sent["apikey"], sent["selfApikey"]) == ("update", "owner", "me")
        assert sent["params"] == {"switch": "on"}
        assert sent["userAgent"] == "app"
        cloud.ws.reply_params = {"switch": "off"}
        answer = await session.query("d1", ["switch"])
        assert answer.ok
        assert answer.params == {"switch": "off"}
        assert json.loads(cloud.ws_received[-1])["params"] == ["switch"]
        first_seq, second_seq = (int(json.loads(t)["sequence"]) for t in cloud.ws_received[-2:])
        assert second_seq > first_seq
        await cloud.push(
            {
                "action": "update",
                "deviceid": "d1",
                "apikey": "me",
                "userAgent": "device",
                "params": {"switch": "on"},
            }
        )
        await cloud.push({"action": "sysmsg", "deviceid": "d1", "params": {"online": False}})
        answered = await next_event(events, DeviceParams)  # a query answer is state too
        assert answered == DeviceParams("d1", {"switch": "off"}, {})
        update = await next_event(events, DeviceParams)
        assert update == DeviceParams("d1", {"switch": "on"}, {})
        offline = await next_event(events, DeviceOnline)
        assert offline == DeviceOnline("d1", False, offline.raw)  # type: ignore[union-attr]
    assert cloud.handshakes == 1


async def test_a_query_answer_without_a_deviceid_is_that_devices_state_in_frame_order(
    cloud: FakeCloud, client: EWeLinkClient
) -> None:
    cloud.ws.reply_params, cloud.ws.reply_deviceid = {"switch": "off"}, False
    async with client.websocket() as session:
        events = session.events()
        await next_event(events, Connected)
        answer = await session.query("d1")
        assert answer.params == {"switch": "off"}
        push = {"action": "update", "deviceid": "d1", "apikey": "me", "params": {"switch": "on"}}
        await cloud.push(push)
        # The answer, then the later push: a host applying both in order ends on the push.
        assert await next_event(events, DeviceParams) == DeviceParams("d1", {"switch": "off"}, {})
        assert await next_event(events, DeviceParams) == DeviceParams("d1", {"switch": "on"}, {})


async def test_handshake_frame_fields(cloud: FakeCloud, client: EWeLinkClient) -> None:
    async with client.websocket() as session:
        await asyncio.wait_for(session.wait_connected(), 5)
        assert session.connected
        assert session.state == "connected"
    hello = cloud.hellos[0]
    assert {k: hello[k] for k in ("action", "at", "apikey", "appid", "userAgent", "version")} == {
        "action": "userOnline",
        "at": "AT1",
        "apikey": "me",
        "appid": "APP",
        "userAgent": "app",
        "version": 8,
    }
    assert len(hello["nonce"]) == 8
    assert hello["nonce"].isalnum()
    assert hello["sequence"].isdigit()
    assert isinstance(hello["ts"], int)
    assert session.state == "closed"
    assert session.stats.handshakes == 1


async def test_offline_timeout_and_not_connected(cloud: FakeCloud, client: EWeLinkClient) -> None:
    # 1 s: a reply from a stalled fake cloud must still beat the timeout it is not testing.
    session = client.websocket(reply_timeout=1.0, command_spacing=0)
    assert (await session.update("d", {"a": 1}, merge=False)).status is CommandStatus.NOT_CONNECTED
    async with session:
        await asyncio.wait_for(session.wait_connected(), 5)
        cloud.ws.reply_error = 503
        assert (await session.update("d", {"a": 1}, merge=False)).status is CommandStatus.OFFLINE
        cloud.ws.reply_error = 504
        assert (await session.query("d")).status is CommandStatus.TIMEOUT
        cloud.ws.reply_error = 411
        odd = await session.query("d")
        assert odd.status is CommandStatus.ERROR
        assert odd.error == 411
        cloud.ws.reply_error = None  # the device never answers
        silent = await session.update("d", {"a": 1}, merge=False)
        assert silent.status is CommandStatus.TIMEOUT
        assert silent.sequence is not None


async def test_quick_channel_clicks_become_a_leading_and_one_trailing_update(
    cloud: FakeCloud, client: EWeLinkClient
) -> None:
    async with client.websocket() as session:
        await asyncio.wait_for(session.wait_connected(), 5)
        results = await asyncio.gather(
            *(session.update("d4", {"switches": [{"switch": "on", "outlet": i}]}) for i in range(4))
        )
        assert all(r.ok for r in results)
        updates = [json.loads(t) for t in cloud.ws_received if t != "ping"]
        assert len(updates) == 2  # the first click at once, the other three merged after it
        assert updates[0]["params"]["switches"] == [{"switch": "on", "outlet": 0}]
        assert updates[1]["params"]["switches"] == [
            {"switch": "on", "outlet": i} for i in range(1, 4)
        ]
        assert session.stats.updates == 2


async def test_commands_are_spaced_100ms(cloud: FakeCloud, client: EWeLinkClient) -> None:
    async with client.websocket() as session:
        await asyncio.wait_for(session.wait_connected(), 5)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(3):
            await session.update(f"d{i}", {"switch": "on"}, merge=False)
        assert loop.time() - start >= 0.2
        assert session._pacer.waits >= 2


async def test_heartbeat_pings_and_counts_pongs(cloud: FakeCloud, client: EWeLinkClient) -> None:
    # A ping every 0.8 s: a pong delayed by a stalled machine still comes before the next one.
    cloud.ws.hb_interval = 1.0
    async with client.websocket(rand=lambda: 0.0) as session:
        await asyncio.wait_for(session.wait_connected(), 5)
        await async_until(
            lambda: session.stats.pings >= 2 and session.stats.pongs >= 2, 10, "two pongs"
        )
        assert session.connected
        assert session.stats.dead_sockets == 0
        assert cloud.ws_received.count("ping") == session.stats.pings


async def test_silent_socket_is_declared_dead_and_reconnected(
    cloud: FakeCloud, client: EWeLinkClient
) -> None:
    cloud.ws.hb_interval = 0.1
    cloud.ws.answer_pings = False
    backoff = Backoff(low=0.01, high=0.02, rand=lambda: 0.0)
    session = client.websocket(rand=lambda: 0.0, backoff=backoff, stable_after=60)
    events = session.events()
    async with session:
        await next_event(events, Connected)
        gone = await next_event(events, Disconnected)
        assert isinstance(gone, Disconnected)
        assert gone.reason == "heartbeat: no pong"
        assert gone.will_retry
        await next_event(events, Connected)
        assert session.stats.dead_sockets >= 1
        assert cloud.handshakes >= 2


async def test_reconnect_backoff_is_jittered_exponential_and_deterministic(
    cloud: FakeCloud, client: EWeLinkClient
) -> None:
    cloud.ws.handshake = "close"
    sleep = RecordingSleep()
    session = client.websocket(sleep=sleep, rand=random.Random(3).random)
    async with session:
        await sleep.until(6)
    expected = Backoff(rand=random.Random(3).random)
    assert sleep.delays[:6] == [pytest.approx(expected.next_delay()) for _ in range(6)]
    assert 1.0 <= sleep.delays[0] <= 15.0
    assert sleep.delays[5] >= 32.0
    assert session.stats.failures >= 6
    assert cloud.handshakes >= 6


async def test_socket_closed_right_after_handshake_counts_as_failure(
    cloud: FakeCloud, client: EWeLinkClient
) -> None:
    cloud.ws.close_after_handshake = True
    sleep = RecordingSleep()
    client.http.governor.enabled = False
    session = client.websocket(sleep=sleep, rand=lambda: 0.0, stable_after=30)
    async with session:
        await sleep.until(4)
    assert sleep.delays[:4] == [1.0, 2.0, 4.0, 8.0]  # never reset by the short-lived sockets


async def test_stable_connection_resets_backoff(cloud: FakeCloud, client: EWeLinkClient) -> None:
    clock_now = [0.0]
    sleep = RecordingSleep()
    session = client.websocket(sleep=sleep, rand=lambda: 0.0, clock=lambda: clock_now[0])
    session.backoff.failures = 5
    events = session.events()
    async with session:
        await next_event(events, Connected)
        clock_now[0] = 100.0  # the connection lived long enough to count as good
        await cloud.drop()
        await next_event(events, Disconnected)
        await sleep.until(1)
    assert sleep.delays[0] == 1.0


async def test_406_refreshes_once_then_connects(cloud: FakeCloud, client: EWeLinkClient) -> None:
    cloud.valid_ats = {"AT2"}
    cloud.script(
        "POST",
        "/eu/v2/user/refresh",
        (200, {"error": 0, "msg": "", "data": {"at": "AT2", "rt": "RT2"}}),
    )
    async with client.websocket() as session:
        await asyncio.wait_for(session.wait_connected(), 5)
    assert client.tokens is not None
    assert client.tokens.at == "AT2"
    assert len(cloud.calls("/eu/v2/user/refresh")) == 1


async def test_406_after_refresh_raises_auth_error(cloud: FakeCloud, client: EWeLinkClient) -> None:
    cloud.ws.handshake = "406"
    cloud.script(
        "POST",
        "/eu/v2/user/refresh",
        (200, {"error": 0, "msg": "", "data": {"at": "AT2", "rt": "RT2"}}),
    )
    session = client.websocket()
    events = session.events()
    await session.start()
    with pytest.raises(AuthError) as caught:
        await drain(events)
    assert caught.value.code == 406
    with pytest.raises(AuthError):
        await session.wait_closed()
    with pytest.raises(AuthError):
        await session.wait_connected()
    assert cloud.handshakes == 2
    assert len(cloud.calls("/eu/v2/user/refresh")) == 1
    assert session.state == "closed"
    await session.close()


async def test_406_without_refresh_token_raises_at_once(
    cloud: FakeCloud, http_session: aiohttp.ClientSession
) -> None:
    client = EWeLinkClient(
        http_session,
        app_id="APP",
        app_secret="s",
        base_url_template=cloud.template,
        tokens=Tokens(at="stale", rt="", region="eu", apikey="me"),
    )
    session = client.websocket()
    await session.start()
    with pytest.raises(AuthError):
        await asyncio.wait_for(session.wait_closed(), 5)
    assert cloud.handshakes == 1


async def test_garbage_frames_are_skipped(cloud: FakeCloud, client: EWeLinkClient) -> None:
    async with client.websocket() as session:
        events = session.events()
        await next_event(events, Connected)
        for junk in [
            "{",
            "[]",
            "null",
            '{"action":"update"}',
            '{"action":"reportSubDevice"}',
            '{"error":0,"sequence":"999999"}',
            '{"action":"sysmsg","deviceid":"x","params":{"subDevRssi":127}}',
        ]:
            await cloud.push(junk)
        await cloud.push({"action": "update", "deviceid": "ok", "params": {"switch": "on"}})
        update = await next_event(events, DeviceParams)
        assert isinstance(update, DeviceParams)
        assert update.deviceid in {"ok", "x"}
        assert session.connected
        assert session.stats.malformed >= 3
        assert session.stats.unknown >= 1


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=60)
    | st.dictionaries(
        st.sampled_from(["action", "deviceid", "params", "sequence", "error", "config"]),
        st.none()
        | st.integers()
        | st.text(max_size=5)
        | st.lists(st.integers(), max_size=2)
        | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ).map(json.dumps)
)
def test_fuzzed_frames_never_crash_the_handler(text: str) -> None:
    session = WsSession.__new__(WsSession)
    WsSession.__init__(session, client=None)  # type: ignore[arg-type]
    session._handle_text(text)
    stats = session.stats
    assert stats.malformed + stats.unknown + stats.events + stats.pongs <= 1


async def test_random_frame_storm_keeps_the_session_alive(
    cloud: FakeCloud, client: EWeLinkClient
) -> None:
    rng = random.Random(11)
    pieces = [
        '"action"',
        '"update"',
        '"sysmsg"',
        '"deviceid"',
        '"params"',
        '"sequence"',
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "null",
        "1",
        '"x"',
        "true",
        '"error"',
        '"config"',
    ]
    async with client.websocket() as session:
        events = session.events()
        await next_event(events, Connected)
        for _ in range(300):
            await cloud.push("".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))))
        await cloud.push({"action": "update", "deviceid": "after", "params": {"switch": "on"}})
        update = await next_event(events, DeviceParams)
        while update.deviceid != "after":
            update = await next_event(events, DeviceParams)
        assert session.connected
        assert session.stats.malformed > 100
        assert (await session.update("d", {"switch": "on"}, merge=False)).ok
    closed = [e async for e in events if isinstance(e, Disconnected)]
    assert closed == [Disconnected("closed by client", will_retry=False)]


async def test_close_ends_a_loop_that_swallowed_a_cancellation(
    cloud: FakeCloud, client: EWeLinkClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancellation swallowed below the loop (seen as a connect finished) left close()
    waiting on a loop that went on serving a socket nobody read."""
    session = client.websocket()
    serve = session._serve
    swallowed = []

    async def deaf_once(ws: aiohttp.ClientWebSocketResponse) -> str:
        try:
            return await serve(ws)
        except asyncio.CancelledError:
            swallowed.append(True)  # as if a library below had eaten it
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
            return await serve(ws)

    monkeypatch.setattr(session, "_serve", deaf_once)
    await session.start()
    await asyncio.wait_for(session.wait_connected(), 5)
    closing = asyncio.create_task(session.close())
    done, _ = await asyncio.wait({closing}, timeout=3)  # not wait_for: it would cancel close()
    loop = session._task
    if not done:  # the old close(): still waiting; end it all for the next test
        closing.cancel()
        assert loop is not None
        loop.cancel()
    assert done == {closing}
    assert swallowed == [True]
    assert loop is not None
    assert loop.done()


async def test_a_take_now_handler_gets_events_in_the_readers_turn_and_keeps_their_order(
    cloud: FakeCloud, client: EWeLinkClient, caplog: pytest.LogCaptureFixture
) -> None:
    """What the handler takes never reaches the queue; what it declines or fails on is
    queued, and an event is not offered while one is queued before it."""
    taken: list[Event] = []
    state = {"decline": False, "fail": False}

    def take(event: Event) -> bool:
        if not isinstance(event, DeviceParams):
            return False
        if state["fail"]:
            raise RuntimeError("a handler's bug")
        if state["decline"]:
            return False
        taken.append(event)
        return True

    def update(n: int) -> dict[str, object]:
        return {"action": "update", "deviceid": "d1", "apikey": "me", "params": {"n": n}}

    async with client.websocket() as session:
        events = session.events()
        events.take_now(take)
        await next_event(events, Connected)  # declined: queued, and read from the queue
        await cloud.push(update(1))
        await async_until(lambda: len(taken) == 1)
        state["decline"] = True
        await cloud.push(update(2))
        await async_until(lambda: events._queue.qsize() == 1)
        state["decline"] = False
        await cloud.push(update(3))  # 2 is still queued: 3 goes behind it, not offered
        await async_until(lambda: events._queue.qsize() == 2)
        assert [e.params for e in taken] == [{"n": 1}]  # type: ignore[attr-defined]
        assert [(await next_event(events, DeviceParams)).params for _ in "ab"] == [  # type: ignore[attr-defined]
            {"n": 2},
            {"n": 3},
        ]
        state["fail"] = True
        await cloud.push(update(4))
        assert (await next_event(events, DeviceParams)).params == {"n": 4}  # type: ignore[attr-defined]
        assert "take_now handler failed" in caplog.text
        state["fail"] = False
        events.take_now(None)
        await cloud.push(update(5))
        assert (await next_event(events, DeviceParams)).params == {"n": 5}  # type: ignore[attr-defined]
    assert [e.params for e in taken] == [{"n": 1}]  # type: ignore[attr-defined]
