"""When the realtime worker stops: a clean stop writes what it held, pages say it is gone, and
a worker restarted after a crash takes its dead predecessor's accounts at once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django_scopes import scopes_disabled

from devices.models import Thing
from realtime import consumers
from realtime import redis as keys
from realtime.management.commands.run_realtime import Command
from realtime.worker.leases import LeaseStore
from realtime.worker.supervisor import Worker
from tests.realtime.conftest import link, listen, page_socket, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
US = "demo-us@example.com"


def _garage_switch(account_id: int) -> str | None:
    with scopes_disabled():
        return Thing.objects.get(account_id=account_id, name="Garage light").params.get("switch")


def _garage_ids(account_id: int) -> tuple[int, str]:
    with scopes_disabled():
        thing = Thing.objects.get(account_id=account_id, name="Garage light")
        return thing.pk, thing.cloud_id


async def test_sigterm_writes_the_state_the_worker_still_held(owner, cloud, clean_redis):
    """run_realtime's SIGTERM path (as the launcher and systemd stop it) flushes pending writes."""
    account = await link(owner, US)
    # Writes only on the way out: what it holds at SIGTERM is in memory, nowhere else.
    worker = Worker(poll_interval=0.2, flush_interval=3600)
    stopped = asyncio.create_task(Command()._run(worker))
    await wait_for(lambda: _held(worker, account.pk), timeout=15)
    garage, cloud_id = await sync_to_async(_garage_ids)(account.pk)
    before = await sync_to_async(_garage_switch)(account.pk)
    after = "off" if before == "on" else "on"
    listener = await listen(owner.household.pk)
    cloud.control("POST", f"/devices/{cloud_id}/params", {"params": {"switch": after}})
    await listener.next("thing", id=garage)  # the worker has it ...
    assert await sync_to_async(_garage_switch)(account.pk) == before  # ... not yet stored
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(stopped, 20)
    assert await sync_to_async(_garage_switch)(account.pk) == after
    # And it let go of the account for the next worker at once (no lease to wait out).
    assert await keys.client().get(keys.lease_key(account.pk)) is None


async def _held(worker: Worker, account_id: int) -> bool:
    connection = worker.connections.get(account_id)
    return connection is not None and connection.connected


async def test_pages_say_when_no_worker_runs_and_when_one_is_back(
    owner, cloud, clean_redis, monkeypatch
):
    monkeypatch.setattr(consumers, "LIVE_CHECK_EVERY", 0.1)
    client = Client()
    await sync_to_async(client.force_login)(owner.user)
    page = await page_socket(client)
    snapshot = await page.receive_json_from()
    assert snapshot["live_updates"] is False  # no worker has ever run

    worker = Worker(poll_interval=0.2)
    running = asyncio.create_task(worker.run())
    back = await page.receive_json_from(timeout=10)
    assert back == {"type": "live_updates", "available": True, "seq": back["seq"]}
    fresh = await page_socket(client)
    assert (await fresh.receive_json_from())["live_updates"] is True

    worker.stop()
    await asyncio.wait_for(running, 20)
    # A worker that is gone renews nothing: once its heartbeat lapses, pages say so.
    await keys.client().pexpire(keys.HEARTBEAT_KEY, 50)
    gone = await page.receive_json_from(timeout=10)
    assert gone["type"] == "live_updates"
    assert gone["available"] is False
    await page.disconnect()
    await fresh.disconnect()


def _record(pid: int, channel: str) -> str:
    return json.dumps({"pid": pid, "channel": channel})


async def test_a_restarted_worker_takes_over_from_its_dead_predecessor_at_once(
    owner, cloud, clean_redis
):
    account = await link(owner, US)
    redis = keys.client()
    gone = await asyncio.create_subprocess_exec("true")  # a pid that has certainly exited
    await gone.wait()
    # What a worker killed with SIGKILL leaves: its lease (15 s to run) and its record.
    await LeaseStore(redis, "dead.channel", ttl=15).acquire(account.pk)
    await redis.set(
        keys.predecessor_key(socket.gethostname(), 0, 1), _record(gone.pid, "dead.channel")
    )
    worker = Worker(poll_interval=0.2)
    running = asyncio.create_task(worker.run())
    try:
        await wait_for(lambda: _held(worker, account.pk), timeout=8)  # well within the 15 s
        assert await redis.get(keys.lease_key(account.pk)) == worker.channel
    finally:
        worker.stop()
        await asyncio.wait_for(running, 20)


async def test_a_live_predecessor_keeps_its_accounts(owner, cloud, clean_redis):
    account = await link(owner, US)
    redis = keys.client()
    alive = await asyncio.create_subprocess_exec("sleep", "30")  # another worker, running
    try:
        await LeaseStore(redis, "live.channel", ttl=15).acquire(account.pk)
        await redis.set(
            keys.predecessor_key(socket.gethostname(), 0, 1), _record(alive.pid, "live.channel")
        )
        worker = Worker(poll_interval=0.2)
        running = asyncio.create_task(worker.run())
        await asyncio.sleep(2)
        assert await redis.get(keys.lease_key(account.pk)) == "live.channel"
        assert account.pk not in worker.connections
        worker.stop()
        await asyncio.wait_for(running, 20)
    finally:
        alive.kill()
        await alive.wait()
