"""A page socket's thing frames: a lone one goes out at once, ones ready together in a batch.

The consumer's send is replaced by a list, so that what is sent before a handler returns
(and what waits for a task) can be told apart; the socket end to end is in test_consumer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

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
