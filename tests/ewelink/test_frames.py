"""Websocket frame parsing, building, and the per-device merge window."""

from __future__ import annotations

import asyncio
import json

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


async def test_merger_sends_one_update_for_quick_clicks() -> None:
    sent: list[tuple[str, dict[str, object]]] = []

    async def send(deviceid: str, params: dict[str, object]) -> str:
        sent.append((deviceid, params))
        return f"result-{len(sent)}"

    merger = UpdateMerger(send, window=0.05)
    results = await asyncio.gather(
        merger.submit("d1", {"switches": [{"switch": "on", "outlet": 0}]}),
        merger.submit("d1", {"switches": [{"switch": "on", "outlet": 1}]}),
        merger.submit("d2", {"switch": "on"}),
    )
    assert sorted(sent, key=lambda item: item[0]) == [
        ("d1", {"switches": [{"switch": "on", "outlet": 0}, {"switch": "on", "outlet": 1}]}),
        ("d2", {"switch": "on"}),
    ]
    assert results[0] == results[1]  # both callers see the one command's result
    assert merger.merged == 1
    await merger.submit("d1", {"switch": "off"})  # a later click opens a new window
    assert len(sent) == 3


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
