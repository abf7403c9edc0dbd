"""A page socket's thing frames: a lone one goes out at once (from the layer's reader when the
socket is idle), ones ready together in a batch.

The consumer's send is replaced by a list, so that what is sent before a handler returns
(and what waits for a task) can be told apart; the socket end to end is in test_consumer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgpack

from realtime.consumers import HouseholdConsumer


def _consumer(inbound: list[int]) -> tuple[HouseholdConsumer, list[Any]]:
    """A consumer between frames: connected, its snapshot sent and acked."""
    consumer = HouseholdConsumer()
    consumer.channel_layer = None
    consumer.page_thing = 0
    consumer.seq = consumer.acked = 1
    consumer.outbox, consumer.outbox_at, consumer.merged, consumer.flusher = [], {}, 0, None
    consumer._inbound = lambda: inbound[0]  # type: ignore[method-assign]
    sent: list[Any] = []

    async def send_text(text: str) -> None:
        sent.append(json.loads(text))

    consumer._send_text = send_text  # type: ignore[method-assign]
    return consumer, sent


async def test_a_lone_thing_frame_is_sent_before_its_handler_returns() -> None:
    consumer, sent = _consumer([0])
    await consumer._deliver({"type": "thing", "id": 7, "state": {"switch": "on"}})
    assert sent == [{"type": "thing", "id": 7, "state": {"switch": "on"}, "seq": 2}]
    assert consumer.flusher is None  # no task was needed for it


async def test_frames_received_together_are_batched_and_a_later_one_keeps_its_place() -> None:
    inbound = [2]  # two more messages for this socket are already received
    consumer, sent = _consumer(inbound)
    await consumer._deliver({"type": "thing", "id": 1, "state": {"n": 1}})
    inbound[0] = 1
    await consumer._deliver({"type": "thing", "id": 2, "state": {"n": 2}})
    inbound[0] = 0
    # The last of them: a batch is being gathered, so it joins it rather than overtake it.
    await consumer._deliver({"type": "thing", "id": 3, "state": {"n": 3}})
    assert sent == []
    flusher = consumer.flusher
    assert flusher is not None
    await flusher
    assert [[f["id"] for f in frame["frames"]] for frame in sent] == [[1, 2, 3]]
    # Nothing queued any more: the next frame goes at once, after the batch.
    await consumer._deliver({"type": "thing", "id": 4, "state": {"n": 4}})
    assert [frame["seq"] for frame in sent] == [2, 3]
    assert sent[-1]["id"] == 4
    await asyncio.sleep(0)
    assert consumer.flusher is None


class _Layer:
    """What `_household_event_now` uses of the layer: its decoding (msgpack, as channels_redis)."""

    @staticmethod
    def deserialize(data: bytes) -> Any:
        return msgpack.unpackb(data)


def _offered(payload: dict[str, Any]) -> bytes:
    return msgpack.packb({"type": "household.event", "payload": payload})


def _idle_consumer() -> tuple[HouseholdConsumer, list[Any]]:
    """A consumer as the layer's reader finds it between messages, sending through Daphne."""
    consumer, _ = _consumer([0])
    consumer.channel_layer = _Layer()
    consumer.group, consumer.held = "household.1", None
    now: list[Any] = []
    consumer.send_text_now = lambda text: now.append(json.loads(text))
    return consumer, now


async def test_an_idle_page_sends_a_thing_frame_in_the_readers_turn() -> None:
    consumer, now = _idle_consumer()
    assert consumer._household_event_now(_offered({"type": "thing", "id": 7, "state": {}}))
    assert now == [{"type": "thing", "id": 7, "state": {}, "seq": 2}]
    assert consumer.flusher is None
    assert consumer.outbox == []


async def test_what_the_reader_must_not_send_itself_is_left_to_the_socket_task() -> None:
    thing = _offered({"type": "thing", "id": 7, "state": {}})
    consumer, now = _idle_consumer()
    # Not a thing's state: a structure change is drawn per page, a details event redrawn.
    assert not consumer._household_event_now(_offered({"type": "structure", "version": 2}))
    assert not consumer._household_event_now(msgpack.packb({"type": "access.changed"}))
    async with consumer.turn:  # the task is handling another message: this one waits for it
        assert not consumer._household_event_now(thing)
    consumer.held = []  # the snapshot is not out yet: events wait behind it
    assert not consumer._household_event_now(thing)
    consumer.held = None
    consumer.outbox = [{"type": "thing", "id": 3}]  # a batch is gathering: it joins it
    assert not consumer._household_event_now(thing)
    consumer.outbox = []
    consumer.seq += 100  # the page stopped acking: its states are merged, not sent now
    assert not consumer._household_event_now(thing)
    consumer.acked = consumer.seq
    consumer.group = None  # access revoked
    assert not consumer._household_event_now(thing)
    assert now == []
