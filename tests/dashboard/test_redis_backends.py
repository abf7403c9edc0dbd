"""Channels and Celery work on the embedded Redis and on the configured (CI: real) one."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection

from dashboard import embedded_redis
from dashboard.celery import app as celery_app
from dashboard.env_parsing import redis_url_for_celery
from realtime.layer import PubSubChannelLayer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def embedded(tmp_path_factory):
    # Unix socket paths are limited to ~100 bytes, so keep this one short.
    socket_path = Path(f"/tmp/dash-test-{uuid.uuid4().hex[:8]}/redis.sock")
    server = embedded_redis.start(socket_path)
    yield socket_path
    server.terminate()
    server.wait(timeout=10)
    assert not embedded_redis.is_up(socket_path)


async def _group_round_trip(url: str) -> dict:
    layer = PubSubChannelLayer(hosts=[url], prefix=f"t{uuid.uuid4().hex[:6]}")
    channel = await layer.new_channel()
    await layer.group_add("household.1", channel)
    await layer.group_send("household.1", {"type": "household.event", "payload": {"n": 1}})
    message = await layer.receive(channel)
    await layer.flush()
    return message


async def test_channels_layer_on_embedded_redis(embedded):
    message = await _group_round_trip(f"unix://{embedded}")
    assert message["payload"] == {"n": 1}


async def test_channels_layer_on_configured_redis(redis_url):
    message = await _group_round_trip(redis_url)
    assert message["payload"] == {"n": 1}


async def test_concurrent_publishes_arrive_complete_and_in_order(redis_url):
    # Publishes are pipelined: many in flight at once must neither drop nor reorder.
    layer = PubSubChannelLayer(hosts=[redis_url], prefix=f"t{uuid.uuid4().hex[:6]}")
    channel = await layer.new_channel()
    await layer.group_add("household.2", channel)
    sends = [
        layer.group_send("household.2", {"type": "household.event", "payload": {"n": n}})
        for n in range(500)
    ]
    await asyncio.gather(*sends)
    received = [(await layer.receive(channel))["payload"]["n"] for _ in range(500)]
    await layer.flush()
    assert received == list(range(500))


async def test_a_publish_to_an_unreachable_redis_raises():
    layer = PubSubChannelLayer(hosts=["redis://127.0.0.1:1"], prefix="tdown")
    with pytest.raises(Exception, match=r"(?i)connect"):
        await layer.group_send("household.3", {"type": "household.event", "payload": {}})


def _kombu_round_trip(url: str) -> object:
    with Connection(redis_url_for_celery(url)) as conn:
        queue = conn.SimpleQueue(f"test-{uuid.uuid4().hex[:8]}")
        queue.put({"hello": "celery"})
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
        return message.payload


def test_celery_broker_on_embedded_redis(embedded):
    assert _kombu_round_trip(f"unix://{embedded}") == {"hello": "celery"}


def test_a_real_celery_worker_answers_on_the_configured_redis(redis_url):
    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    env = {**os.environ, "REDIS_URL": redis_url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "--pool", "solo",
         "-n", name, "-l", "warning", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        replies: list[dict] = []
        while time.monotonic() < deadline and not any(name in r for r in replies):
            replies = celery_app.control.ping(destination=[name], timeout=1.0)
        assert any(name in reply for reply in replies), replies
    finally:
        worker.terminate()
        worker.wait(timeout=30)
