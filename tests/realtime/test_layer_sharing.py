"""Daphne's work per delivered frame: a group message is decoded once for all the sockets
of the process, and a thing frame encoded once for all the pages that send it."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from realtime import consumers
from realtime import layer as layer_module
from realtime.layer import PubSubChannelLayer

pytestmark = [pytest.mark.integration]


async def test_a_group_message_is_decoded_once_for_every_socket(redis_url: str) -> None:
    layer = PubSubChannelLayer(hosts=[redis_url], prefix=f"t{uuid.uuid4().hex[:6]}")
    first, second = await layer.new_channel(), await layer.new_channel()
    for channel in (first, second):
        await layer.group_add("household.1", channel)
    event = {"type": "household.event", "payload": {"type": "thing", "id": 1, "state": {}}}
    await layer.group_send("household.1", event)
    await layer.group_send("household.1", event)
    a1 = await asyncio.wait_for(layer.receive(first), 5)
    b1 = await asyncio.wait_for(layer.receive(second), 5)
    a2 = await asyncio.wait_for(layer.receive(first), 5)
    assert a1 == b1 == a2 == event
    assert a1 is b1  # one decoding, shared
    assert a2 is not a1  # another message is another object
    await layer.flush()


def test_a_thing_frame_is_encoded_once_and_equal_objects_are_not_confused() -> None:
    frame = {"type": "thing", "id": 3, "state": {"switch": True}}
    text = consumers.encoded(frame)
    assert consumers.encoded(frame) is text
    assert json.loads(text) == frame
    twin = {"type": "thing", "id": 3, "state": {"switch": False}}
    assert json.loads(consumers.encoded(twin)) == twin


async def test_a_channels_inbox_counts_what_came_and_dropping_it_unsubscribes(
    redis_url: str,
) -> None:
    import redis.asyncio as aioredis

    layer = PubSubChannelLayer(hosts=[redis_url], prefix=f"t{uuid.uuid4().hex[:6]}")
    channel = await layer.new_channel()
    inbox = layer.inbox(channel)
    assert inbox is not None
    assert inbox.qsize() == 0
    await layer.send(channel, {"type": "control.reply", "request": "r1"})
    async with asyncio.timeout(5):
        while inbox.qsize() < 1:
            await asyncio.sleep(0.01)
    client = aioredis.Redis.from_url(redis_url)
    [(_, before)] = await client.pubsub_numsub(channel)
    await layer.drop_channel(channel)
    await layer.drop_channel(channel)  # twice is harmless
    [(_, after)] = await client.pubsub_numsub(channel)
    assert (before, after) == (1, 0)
    assert layer.inbox(channel) is None
    await client.aclose()
    await layer.flush()


async def test_a_channels_deliver_now_handler_takes_messages_before_its_queue(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The reader offers a message to the channel's handler; what it declines, what would
    overtake a message already queued, and what its handler fails on are queued, in order."""
    layer = PubSubChannelLayer(hosts=[redis_url], prefix=f"t{uuid.uuid4().hex[:6]}")
    channel = await layer.new_channel()
    await layer.group_add("household.1", channel)
    inbox = layer.inbox(channel)
    assert inbox is not None
    offered: list[int] = []
    taken: list[int] = []

    def handler(data: bytes) -> bool:
        n = layer.deserialize(data)["n"]
        offered.append(n)
        if n == 4:
            raise RuntimeError("a handler's bug")
        if n == 2:
            return False
        taken.append(n)
        return True

    async def queued(count: int) -> list[int]:
        async with asyncio.timeout(5):
            while inbox.qsize() < count:
                await asyncio.sleep(0.01)
        return [layer.deserialize(inbox.get_nowait())["n"] for _ in range(count)]

    layer.deliver_now(channel, handler)
    for n in (1, 2, 3):
        await layer.group_send("household.1", {"type": "household.event", "n": n})
    assert await queued(2) == [2, 3]
    assert (offered, taken) == ([1, 2], [1])  # 3 came with 2 still queued: not offered
    await layer.group_send("household.1", {"type": "household.event", "n": 4})
    assert await queued(1) == [4]
    assert "deliver_now handler failed" in caplog.text
    await layer.send(channel, {"type": "control.reply", "n": 5})  # its own channel's too
    async with asyncio.timeout(5):
        while taken != [1, 5]:
            await asyncio.sleep(0.01)
    layer.deliver_now(channel, None)
    await layer.group_send("household.1", {"type": "household.event", "n": 6})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 6
    assert offered == [1, 2, 4, 5]
    await layer.flush()


async def test_a_message_sent_now_keeps_its_place_and_a_lost_one_is_logged(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    layer = PubSubChannelLayer(hosts=[redis_url], prefix=f"t{uuid.uuid4().hex[:6]}")
    channel = await layer.new_channel()
    await layer.group_add("household.1", channel)
    assert not layer.backlogged()
    layer.group_send_now("household.1", {"type": "household.event", "n": 1})
    await layer.group_send("household.1", {"type": "household.event", "n": 2})
    layer.group_send_now("household.1", {"type": "household.event", "n": 3})
    got = [(await asyncio.wait_for(layer.receive(channel), 5))["n"] for _ in range(3)]
    assert got == [1, 2, 3]
    await layer.flush()

    # Nothing listens at this port: the awaited send raises, the unawaited one is logged.
    away = PubSubChannelLayer(hosts=["redis://127.0.0.1:1/0"], prefix="t-away")
    away.group_send_now("household.1", {"type": "household.event", "n": 4})
    with pytest.raises(RedisConnectionError):
        await away.group_send("household.1", {"type": "household.event", "n": 5})
    assert "1 messages published without waiting were lost" in caplog.text
    for n in range(layer_module.NOWAIT_BACKLOG):  # none sent yet (nothing yielded)
        away.group_send_now("household.1", {"type": "household.event", "n": n})
    assert away.backlogged()  # senders wait for replies instead of adding more
    async with asyncio.timeout(5):
        while away.backlogged():  # the failed batch is dropped (and logged) as a whole
            await asyncio.sleep(0.01)
    assert f"{layer_module.NOWAIT_BACKLOG} messages published without waiting" in caplog.text
