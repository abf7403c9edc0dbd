"""A consumer's message loop (`realtime.message_loop.pump_messages`): one dispatch at a time,
each source in order, and the end of the loop when a dispatch raises."""

from __future__ import annotations

import asyncio

import pytest
from channels.exceptions import StopConsumer

from realtime.message_loop import pump_messages


def _source(queue: asyncio.Queue[str]):  # type: ignore[no-untyped-def]
    return queue.get


async def test_messages_of_two_sources_are_dispatched_one_at_a_time_in_order():
    socket, layer = asyncio.Queue[str](), asyncio.Queue[str]()
    seen: list[str] = []
    running = 0

    async def dispatch(message: str) -> None:
        nonlocal running
        running += 1
        assert running == 1, "two dispatches overlapped"
        seen.append(message)
        await asyncio.sleep(0.001)  # a handler that awaits: the other source must wait
        running -= 1
        if len(seen) == 8:
            raise StopConsumer

    for n in range(4):
        socket.put_nowait(f"ws{n}")
        layer.put_nowait(f"group{n}")
    with pytest.raises(StopConsumer):
        await asyncio.wait_for(pump_messages([_source(socket), _source(layer)], dispatch), 5)
    assert [m for m in seen if m.startswith("ws")] == ["ws0", "ws1", "ws2", "ws3"]
    assert [m for m in seen if m.startswith("group")] == ["group0", "group1", "group2", "group3"]
    # Neither source starves the other: they take turns while both have messages.
    assert seen[:2] in (["ws0", "group0"], ["group0", "ws0"])


async def test_the_loop_ends_when_a_dispatch_raises_and_stops_reading_every_source():
    socket, layer = asyncio.Queue[str](), asyncio.Queue[str]()
    cancelled = asyncio.Event()

    async def layer_receive() -> str:
        try:
            return await layer.get()
        except asyncio.CancelledError:
            cancelled.set()  # as channels_redis' receive does: it unsubscribes here
            raise

    async def dispatch(message: str) -> None:
        raise RuntimeError(f"handler failed on {message}")

    socket.put_nowait("boom")
    with pytest.raises(RuntimeError, match="handler failed on boom"):
        await asyncio.wait_for(pump_messages([socket.get, layer_receive], dispatch), 5)
    assert cancelled.is_set()
    assert layer.empty()  # nothing taken from the source that was still waiting


async def test_a_queued_message_is_taken_without_a_task_per_message():
    queue = asyncio.Queue[int]()
    for n in range(200):
        queue.put_nowait(n)
    tasks_before = len(asyncio.all_tasks())
    most = 0

    async def dispatch(n: int) -> None:
        nonlocal most
        most = max(most, len(asyncio.all_tasks()) - tasks_before)
        if n == 199:
            raise StopConsumer

    with pytest.raises(StopConsumer):
        await pump_messages([queue.get], dispatch)
    assert most == 1  # the one reader of the one source, however many messages
