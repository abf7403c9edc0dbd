"""The worker's own tasks: an answer that cannot go, or a task that fails, is logged."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from realtime.worker import supervisor
from realtime.worker.tasks import TURN_EVERY, in_turns


class DownLayer:
    """A channel layer whose Redis is gone."""

    async def send(self, channel: str, message: dict[str, object]) -> None:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


async def test_an_answer_redis_cannot_carry_is_a_warning(caplog: pytest.LogCaptureFixture):
    message = {"reply_to": "page.abc", "request": "r-1"}
    with caplog.at_level(logging.WARNING, logger=supervisor.log.name):
        await supervisor._reply(DownLayer(), message, {"type": "control.reply", "request": "r-1"})
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "control.reply for request r-1 not sent" in record.getMessage()


async def test_a_spawned_task_that_fails_is_logged_when_it_ends(
    caplog: pytest.LogCaptureFixture,
):
    async def reload_account() -> None:
        raise RuntimeError("database went away")

    loop_errors: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, ctx: loop_errors.append(ctx))
    task = asyncio.create_task(reload_account())
    task.add_done_callback(supervisor._log_failure)
    with caplog.at_level(logging.ERROR, logger=supervisor.log.name):
        await asyncio.wait([task])
        await asyncio.sleep(0)  # done callbacks run on the next turn of the loop
    (record,) = caplog.records
    assert "reload_account failed" in record.getMessage()
    assert record.exc_info is not None
    del task
    gc.collect()
    assert not loop_errors  # retrieved: asyncio has nothing "never retrieved" to report


async def test_a_long_pass_lets_the_other_tasks_run_and_sees_every_item_once():
    """The worker's passes over 10,000 held accounts give every account's events turns while
    they run, instead of holding them back until they are done."""
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    items = {n: n for n in range(10_000)}
    runner = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    before = turns
    seen = []
    async for item in in_turns(items.values()):
        seen.append(item)
        if item == 0:
            items[-1] = -1  # the source changes meanwhile: the pass goes on over what it took
    runner.cancel()
    assert seen == list(range(10_000))
    assert turns - before >= 10_000 // TURN_EVERY - 1
