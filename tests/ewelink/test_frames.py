"""Websocket frame parsing, building, and the per-device merge window."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ewelink.ws import frames
from ewelink.ws.batching import UpdateMerger, merge_by_outlet, merge_params


def test_parse_each_kind() -> None:
    assert isinstance(frames.parse_frame("pong"), frames.Pong)
    hello = frames.parse_frame(
        '{"error":0,"apikey":"k","config":{"hb":1,"hbInterval":145},"sequence":"1"}'
    )
    assert isinstance(hello, frames.HandshakeReply)
    assert (hello.error, hello.hb_interval, hello.hb) == (0, 145.0, True)
    rejected = frames.parse_frame(
        '{"error":406,"reason":"Authentication Failed","sequence":"2","actionName":"userOnline"}',
        expecting_handshake=True,
    )
    assert isinstance(rejected, frames.HandshakeReply)
    assert rejected.error == 406
    reply = frames.parse_frame('{"error":0,"deviceid":"d1","apikey":"k","sequence":"77"}')
    assert isinstance(reply, frames.CommandReply)
    assert reply.sequence == "77"
    query = frames.parse_frame('{"error":0,"deviceid":"d","sequence":"8","config":{"x":1}}')
    assert isinstance(query, frames.CommandReply)
    assert query.params == {"x": 1}
    update = frames.parse_frame(
        '{"action":"update","deviceid":"d1","apikey":"k","userAgent":"device",'
        '"params":{"switch":"on"}}'
    )
    assert isinstance(update, frames.DeviceUpdate)
    assert update.params == {"switch": "on"}
    sysmsg = frames.parse_frame('{"action":"sysmsg","deviceid":"d1","params":{"online":false}}')
    assert isinstance(sysmsg, frames.SysMessage)
    assert sysmsg.online is False
    notify = frames.parse_frame('{"action":"notify","cmd":"incrementalDataNotify"}')
    assert isinstance(notify, frames.UnknownFrame)
    assert notify.action == "notify"
    no_sequence = frames.parse_frame('{"error":0,"deviceid":"d1"}')
    assert isinstance(no_sequence, frames.UnknownFrame)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[1,2]",
        '"x"',
        '{"action":"update"}',
        '{"action":"update","deviceid":"d","params":[1]}',
        '{"error":"boom","sequence":"1"}',
        '{"action":"sysmsg","deviceid":5}',
    ],
)
def test_malformed_frames_raise_frame_error(text: str) -> None:
    with pytest.raises(frames.FrameError):
        frames.parse_frame(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
frame_like = st.fixed_dictionaries(
    {},
    optional={
        "action": st.sampled_from(["update", "sysmsg", "query", "notify", None]) | st.integers(),
        "deviceid": json_values,
        "params": json_values,
        "config": json_values,
        "sequence": json_values,
        "error": json_values,
        "apikey": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), frame_like.map(json.dumps), json_values.map(json.dumps)))
def test_fuzzed_frames_only_ever_raise_frame_error(text: str) -> None:
    try:
        parsed = frames.parse_frame(text)
    except frames.FrameError:
        return
    assert isinstance(
        parsed,
        frames.Pong
        | frames.HandshakeReply
        | frames.CommandReply
        | frames.DeviceUpdate
        | frames.SysMessage
        | frames.UnknownFrame,
    )


def test_outbound_frames() -> None:
    hello = frames.user_online(at="AT", apikey="me", appid="app", sequence="5")
    assert hello["action"] == "userOnline"
    assert hello["version"] == 8
    assert hello["userAgent"] == "app"
    assert len(hello["nonce"]) == 8
    assert hello["sequence"] == "5"
    update = frames.command(
        "update",
        deviceid="d",
        owner_apikey="owner",
        self_apikey="me",
        sequence="6",
        params={"switch": "on"},
    )
    assert update["apikey"] == "owner"
    assert update["selfApikey"] == "me"
    assert frames.encode({"a": 1, "b": [1, 2]}) == '{"a":1,"b":[1,2]}'


def test_merge_params_merges_switches_by_outlet() -> None:
    first = {"switches": [{"switch": "on", "outlet": 0}], "pulse": "off"}
    second = {"switches": [{"switch": "off", "outlet": 2}, {"switch": "off", "outlet": 0}]}
    merged = merge_params(first, second)
    assert merged == {
        "switches": [{"switch": "off", "outlet": 0}, {"switch": "off", "outlet": 2}],
        "pulse": "off",
    }
    assert merge_params({"switch": "on"}, {"switch": "off"}) == {"switch": "off"}
    assert merge_by_outlet([{"outlet": 10, "s": 1}], [{"outlet": 2, "s": 2}])[0]["outlet"] == 2


def _recording_send(sent: list[tuple[float, str, dict[str, object]]]) -> Any:
    async def send(deviceid: str, params: dict[str, object]) -> str:
        sent.append((time.monotonic(), deviceid, params))
        return f"result-{len(sent)}"

    return send


async def test_the_first_update_of_a_device_goes_out_at_once() -> None:
    sent: list[tuple[float, str, dict[str, object]]] = []
    merger = UpdateMerger(_recording_send(sent), window=2.0)
    started = time.monotonic()
    result = await merger.submit("d1", {"switch": "on"})
    assert result == "result-1"
    assert sent[0][0] - started < 1.0  # not held for the window (a busy machine stalls less)
    assert merger.sent == 1


async def test_a_burst_costs_two_commands_and_ends_in_the_last_clicks_state() -> None:
    sent: list[tuple[float, str, dict[str, object]]] = []
    # A window no stall of a busy machine outlasts: every click below falls inside it.
    merger = UpdateMerger(_recording_send(sent), window=1.0)
    first = asyncio.create_task(merger.submit("d1", {"switch": "on"}))
    await asyncio.sleep(0.01)
    rest = [
        asyncio.create_task(merger.submit("d1", {"switch": value}))
        for value in ("off", "on", "off")
    ]
    other = await merger.submit("d2", {"switch": "on"})  # another device: its own leading edge
    results = await asyncio.gather(first, *rest)
    to_d1 = [(at, params) for at, device, params in sent if device == "d1"]
    assert [params for _, params in to_d1] == [{"switch": "on"}, {"switch": "off"}]
    assert to_d1[1][0] - to_d1[0][0] >= 0.95  # the trailing update waits out the window
    assert results[0] != results[1]
    assert results[1] == results[2] == results[3]
    assert other != results[0]
    assert merger.merged == 2
    assert merger.sent == 3


async def test_trailing_merges_channels_by_outlet() -> None:
    sent: list[tuple[float, str, dict[str, object]]] = []
    merger = UpdateMerger(_recording_send(sent), window=0.05)
    await asyncio.gather(
        merger.submit("d1", {"switches": [{"switch": "on", "outlet": 0}]}),
        merger.submit("d1", {"switches": [{"switch": "on", "outlet": 1}]}),
        merger.submit("d1", {"switches": [{"switch": "on", "outlet": 2}]}),
    )
    assert [params for _, _, params in sent] == [
        {"switches": [{"switch": "on", "outlet": 0}]},
        {"switches": [{"switch": "on", "outlet": 1}, {"switch": "on", "outlet": 2}]},
    ]


async def test_a_click_after_a_quiet_window_is_a_leading_edge_again() -> None:
    sent: list[tuple[float, str, dict[str, object]]] = []
    merger = UpdateMerger(_recording_send(sent), window=1.0)
    await merger.submit("d1", {"switch": "on"})
    async with asyncio.timeout(5):
        while "d1" in merger._windows:  # until the window ended with nothing in it
            await asyncio.sleep(0.05)
    clicked = time.monotonic()
    await merger.submit("d1", {"switch": "off"})
    assert len(sent) == 2
    assert sent[1][0] - clicked < 0.5  # at once, not after a window of its own


async def test_clicks_within_the_window_after_a_trailing_send_wait_for_the_next() -> None:
    """A long burst: sends to one device are never closer than the window."""
    sent: list[tuple[float, str, dict[str, object]]] = []
    merger = UpdateMerger(_recording_send(sent), window=0.05)
    tasks, clicked = [], []
    for i in range(12):  # a click every 10 ms for 120 ms
        clicked.append(time.monotonic())
        tasks.append(asyncio.create_task(merger.submit("d1", {"level": i})))
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    times = [at for at, _, _ in sent]
    assert sent[-1][2] == {"level": 11}  # the last click wins
    # A leading send, then at most one per window the clicks spanned: 120 ms gives 2 to 4,
    # and a machine that stalls the loop stretches the clicks over more windows.
    assert 2 <= len(sent) <= 2 + (clicked[-1] - clicked[0]) / 0.05
    assert all(b - a >= 0.045 for a, b in itertools.pairwise(times))


async def test_merger_hands_send_errors_to_every_caller() -> None:
    async def send(deviceid: str, params: dict[str, object]) -> str:
        raise RuntimeError("socket gone")

    merger = UpdateMerger(send, window=0.01)
    outcomes = await asyncio.gather(
        merger.submit("d", {"a": 1}), merger.submit("d", {"b": 2}), return_exceptions=True
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)


async def test_closing_the_merger_answers_queued_and_in_flight_callers() -> None:
    """A socket closed mid-command (an account restarted) must not leave a caller hanging."""
    in_flight = asyncio.Event()

    async def send(deviceid: str, params: dict[str, object]) -> str:
        in_flight.set()
        await asyncio.sleep(30)  # the cloud never answers
        return "sent"

    merger = UpdateMerger(send, window=0.01)
    slow = asyncio.create_task(merger.submit("slow", {"a": 1}))
    await in_flight.wait()  # its window ended: the update is on the wire
    queued = asyncio.create_task(merger.submit("queued", {"b": 2}))
    await asyncio.sleep(0)  # queued inside its window
    await merger.close("not_connected")
    assert await asyncio.wait_for(asyncio.gather(slow, queued), 1) == [
        "not_connected",
        "not_connected",
    ]
