"""The websocket session against cloudsim: commands, pushes, heartbeat, drops, auth faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cloudsim.testing import InProcessCloudsim
from ewelink import (
    AuthError,
    Backoff,
    CommandStatus,
    Connected,
    DeviceFirmware,
    DeviceOnline,
    DeviceParams,
    Disconnected,
    DispatchCache,
    EWeLinkClient,
    WsSession,
)
from ewelink.ws.events import Event
from tests.ewelink.conftest import ClientFactory, SimAccount, new_account
from tests.waiting import async_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


def quick_backoff() -> Backoff:
    return Backoff(low=0.01, high=0.05, cap=0.2)


async def next_event(events: AsyncIterator[Event], kind: type, within: float = 5.0) -> Any:
    async with asyncio.timeout(within):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"no {kind.__name__} event")


async def device(sim: InProcessCloudsim, owner: SimAccount, uiid: int = 1, **spec: Any) -> str:
    made = await sim.acontrol("POST", "/devices", {"owner": owner.apikey, "uiid": uiid, **spec})
    return str(made["deviceid"])


async def connected_session(client: EWeLinkClient, **options: Any) -> WsSession:
    session = client.websocket(backoff=quick_backoff(), **options)
    await session.start()
    await asyncio.wait_for(session.wait_connected(), 5)
    return session


async def test_update_query_and_pushed_events(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    plug = await device(sim, me)
    strip = await device(sim, me, uiid=4)
    client = await make_client.logged_in(me)
    session = await connected_session(client)
    events = session.events()
    assert isinstance(await next_event(events, Connected), Connected)
    result = await session.update(plug, {"switch": "on"})
    assert result.status is CommandStatus.OK
    assert (await sim.acontrol("GET", f"/devices/{plug}"))["params"]["switch"] == "on"
    clicks = await asyncio.gather(
        *(session.update(strip, {"switches": [{"switch": "on", "outlet": i}]}) for i in range(3))
    )
    assert all(click.ok for click in clicks)
    state = (await sim.acontrol("GET", f"/devices/{strip}"))["params"]["switches"]
    assert [s["switch"] for s in state if s["outlet"] < 3] == ["on", "on", "on"]
    answer = await session.query(plug, ["switch"])
    assert answer.ok
    assert answer.params == {"switch": "on"}
    await sim.acontrol("POST", f"/devices/{plug}/params", {"params": {"switch": "off"}})
    pushed = await next_event(events, DeviceParams)
    while pushed.params != {"switch": "off"}:
        pushed = await next_event(events, DeviceParams)
    assert pushed.deviceid == plug
    await sim.acontrol("POST", f"/devices/{plug}/online", {"online": False})
    offline = await next_event(events, DeviceOnline)
    assert (offline.deviceid, offline.online) == (plug, False)
    assert (await session.update(plug, {"switch": "on"})).status is CommandStatus.OFFLINE
    await session.close()
    assert session.stats.handshakes == 1


async def test_unresponsive_device_times_out(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    plug = await device(sim, me)
    await sim.acontrol("POST", "/settings", {"device_timeout_ms": 200})
    await sim.acontrol("POST", f"/devices/{plug}/behaviour", {"unresponsive": True})
    client = await make_client.logged_in(me)
    session = await connected_session(client, reply_timeout=1.0)
    result = await session.update(plug, {"switch": "on"}, merge=False)
    assert result.status is CommandStatus.TIMEOUT
    await sim.acontrol("POST", "/faults", {"kind": "drop_frames"})
    silent = await session.query(plug)
    assert silent.status is CommandStatus.TIMEOUT
    assert silent.error is None or silent.error == 504
    await session.close()


async def test_shared_device_uses_owner_and_self_apikey(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    owner, friend = await new_account(sim), await new_account(sim)
    plug = await device(sim, owner)
    await sim.acontrol("POST", f"/devices/{plug}/share", {"to": friend.apikey})
    client = await make_client.logged_in(friend)
    session = await connected_session(client)
    session.learn_owners([thing async for thing in client.iter_things()])
    assert session.owners[plug] == owner.apikey
    result = await session.update(plug, {"switch": "on"})
    assert result.ok
    assert (await sim.acontrol("GET", f"/devices/{plug}"))["params"]["switch"] == "on"
    # cloudsim takes the sharee's own apikey too (API document); the client must send the
    # notes' form: the owner's apikey plus selfApikey.
    counters = await sim.acontrol("GET", "/counters")
    assert counters["shared_commands"] == {"owner_apikey": 1}
    await session.close()


async def test_firmware_upgrade_command(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    me = await new_account(sim)
    plug = await device(sim, me, ota={"version": "9.9.9"})
    client = await make_client.logged_in(me)
    current = await sim.acontrol("GET", f"/devices/{plug}")
    infos = await client.get_ota_info(
        [DeviceFirmware(plug, current["model"], current["fwVersion"])]
    )
    assert [info.version for info in infos] == ["9.9.9"]
    session = await connected_session(client)
    result = await session.upgrade(
        plug, model=current["model"], version="9.9.9", bin_list=infos[0].bin_list
    )
    assert result.ok
    await session.close()


async def test_heartbeat_keeps_the_socket(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    await sim.acontrol("POST", "/settings", {"hb_interval": 1, "hb_grace": 0.5})
    client = await make_client.logged_in(me)
    session = await connected_session(client)
    await async_until(
        lambda: session.stats.pings >= 2 and session.stats.pongs >= 2, 10, "two pongs"
    )
    assert session.connected
    assert session.stats.handshakes == 1
    await session.close()


async def test_dropped_sockets_reconnect_with_fresh_dispatch(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    client = await make_client.logged_in(me)
    session = await connected_session(client)
    events = session.events()
    await next_event(events, Connected)
    await sim.acontrol("POST", f"/accounts/{me.apikey}/drop-sockets")
    gone = await next_event(events, Disconnected)
    assert gone.will_retry
    await next_event(events, Connected)
    await sim.acontrol("POST", "/faults", {"kind": "ws_close_after", "seconds": 0.05, "count": 1})
    await sim.acontrol("POST", f"/accounts/{me.apikey}/drop-sockets")
    await next_event(events, Disconnected)
    await next_event(events, Connected)
    await next_event(events, Disconnected)  # closed by the fault right after opening
    await next_event(events, Connected)
    assert session.stats.connects == 4
    assert client.http.governor.stats().calls["/dispatch/app"] >= 4
    await session.close()


async def test_a_query_answered_under_config_reads_as_params(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    meter = await device(sim, me, uiid=32)
    session = await connected_session(await make_client.logged_in(me))
    answer = await session.query(meter, ["hundredDaysKwhData"])
    assert answer.ok
    assert len(answer.params["hundredDaysKwhData"]) == 600
    await session.close()


async def test_sessions_starting_together_share_one_dispatch_call(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    cache = DispatchCache()
    clients = [await make_client.logged_in(await new_account(sim)) for _ in range(5)]
    sessions = await asyncio.gather(
        *(connected_session(client, dispatch_cache=cache) for client in clients)
    )
    assert all(session.connected for session in sessions)
    assert cache.fetches == 1
    counters = await sim.acontrol("GET", "/counters")
    assert counters["connections"] >= 5
    for session in sessions:
        await session.close()


async def test_refused_handshake_then_refresh_connects(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    client = await make_client.logged_in(me)
    before = client.tokens
    await sim.acontrol("POST", "/faults", {"kind": "refuse_handshake", "error": 406, "count": 1})
    session = await connected_session(client)
    assert client.tokens is not None
    assert before is not None
    assert client.tokens.at != before.at  # refreshed once after the 406
    await sim.acontrol(
        "POST", "/faults", {"kind": "refuse_handshake", "error": "close", "count": 1}
    )
    await sim.acontrol("POST", f"/accounts/{me.apikey}/drop-sockets")
    await async_until(lambda: session.stats.failures >= 1, 5, "a refused reconnect")
    await asyncio.wait_for(session.wait_connected(), 5)
    await session.close()


async def test_persistent_406_stops_with_auth_error(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    client = await make_client.logged_in(me)
    await sim.acontrol("POST", "/faults", {"kind": "refuse_handshake", "error": 406})
    session = client.websocket(backoff=quick_backoff())
    events = session.events()
    await session.start()
    with pytest.raises(AuthError):
        await asyncio.wait_for(session.wait_closed(), 5)
    collected: list[Event] = []
    with pytest.raises(AuthError):
        async with asyncio.timeout(5):
            collected.extend([event async for event in events])
    assert len(make_client.saved) == 2  # login, then exactly one refresh
    await session.close()


async def test_login_elsewhere_ends_the_session(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    me = await new_account(sim)
    client = await make_client.logged_in(me)
    session = await connected_session(client)
    events = session.events()
    await next_event(events, Connected)
    await make_client.logged_in(me)  # the same account and APPID logs in again
    gone = await next_event(events, Disconnected)
    assert gone.reason
    with pytest.raises(AuthError):
        await asyncio.wait_for(session.wait_closed(), 5)
    await session.close()


async def test_odd_frames_are_tolerated(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    me = await new_account(sim)
    plug = await device(sim, me)
    await sim.acontrol("POST", "/settings", {"odd_frames": True})
    client = await make_client.logged_in(me)
    session = await connected_session(client)
    assert (await session.update(plug, {"switch": "on"})).ok
    assert session.stats.unknown >= 1
    assert session.connected
    await session.close()
