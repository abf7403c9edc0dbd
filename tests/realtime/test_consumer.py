"""The page socket: snapshot, controls through the consumer (socket and REST), slow pages."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from devices.models import Thing
from realtime import consumers
from realtime import redis as keys
from realtime.consumers import CLOSE_TOO_SLOW
from realtime.events import group_message, household_group
from realtime.models import CommandRecord
from tests.fixtures.sockets import PageSocket
from tests.realtime.conftest import link, listen, page_socket
from tests.realtime.test_worker import _connected

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
US = "demo-us@example.com"


async def _page(persona) -> PageSocket:
    client = Client()
    await sync_to_async(client.force_login)(persona.user)
    return await page_socket(client)


async def _until(page: PageSocket, kind: str, **match):
    while True:
        frame = await page.receive_json_from(timeout=10)
        if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame


def _garage(account) -> Thing:
    with scopes_disabled():
        return Thing.objects.get(account=account, name="Garage light")


async def test_snapshot_lists_the_households_things_and_accounts(
    owner, outsider, cloud, clean_redis
):
    account = await link(owner, US)
    page = await _page(owner)
    snapshot = await page.receive_json_from()
    garage = await sync_to_async(_garage)(account)
    view = snapshot["things"][str(garage.pk)]
    assert view["state"]["switch"] is False
    assert view["account"] == account.pk
    assert snapshot["accounts"][str(account.pk)]["status"] == "active"
    theirs = await _page(outsider)
    assert (await theirs.receive_json_from())["things"] == {}
    await page.disconnect()
    await theirs.disconnect()


async def test_control_through_the_page_socket_via_the_worker(owner, cloud, worker):
    account = await link(owner, US)
    await _connected(worker, account.pk)
    garage = await sync_to_async(_garage)(account)
    page = await _page(owner)
    await page.receive_json_from()
    await page.send_json_to(
        {"type": "control", "request": "x1", "thing": garage.pk, "control": "switch", "value": True}
    )
    pending = await _until(page, "control_result", request="x1")
    assert pending["status"] == "pending"
    done = await _until(page, "control_result", request="x1", status="ok")
    assert done["latency_ms"] is not None
    assert cloud.control("GET", f"/devices/{garage.cloud_id}")["params"]["switch"] == "on"
    card = await _until(page, "thing", id=garage.pk)
    assert card["state"]["switch"] is True
    await page.disconnect()


async def test_without_a_live_socket_control_falls_back_to_rest(owner, cloud, clean_redis):
    account = await link(owner, US)
    garage = await sync_to_async(_garage)(account)
    page = await _page(owner)
    await page.receive_json_from()
    await page.send_json_to(
        {"type": "control", "request": "r", "thing": garage.pk, "control": "switch", "value": True}
    )
    done = await _until(page, "control_result", request="r", status="ok")
    assert done["message"] == "Done"
    assert cloud.control("GET", f"/devices/{garage.cloud_id}")["params"]["switch"] == "on"
    record = await sync_to_async(lambda: CommandRecord.objects.with_scopes_disabled().get())()
    assert record.via == "rest"
    await page.disconnect()


async def test_a_change_the_worker_has_not_written_yet_is_in_a_new_pages_snapshot(
    owner, cloud, clean_redis
):
    from realtime.worker.supervisor import Worker

    account = await link(owner, US)
    worker = Worker(poll_interval=0.2, flush_interval=3600)  # it writes only when asked
    task = asyncio.create_task(worker.run())
    try:
        await _connected(worker, account.pk)
        garage = await sync_to_async(_garage)(account)
        listener = await listen(owner.household.pk)
        cloud.control("POST", f"/devices/{garage.cloud_id}/params", {"params": {"switch": "on"}})
        await listener.next("thing", id=garage.pk)  # published before the page below joins
        assert (await sync_to_async(_garage)(account)).params["switch"] == "off"
        page = await _page(owner)
        snapshot = await page.receive_json_from(timeout=10)
        assert snapshot["type"] == "snapshot"
        assert snapshot["things"][str(garage.pk)]["state"]["switch"] is True
        assert (await sync_to_async(_garage)(account)).params["switch"] == "on"
        await page.disconnect()
    finally:
        worker.stop()
        await asyncio.wait_for(task, 20)


async def test_a_dead_workers_lease_delays_the_snapshot_briefly_and_holds_events_behind_it(
    owner, cloud, clean_redis, monkeypatch
):
    monkeypatch.setattr("realtime.snapshot.FLUSH_TIMEOUT", 0.5)
    account = await link(owner, US)
    await keys.client().set(keys.lease_key(account.pk), "realtime.gone!nobody", ex=30)
    page = await _page(owner)
    # The page waits for the dead holder's flush; an event meanwhile must follow the snapshot.
    group = household_group(owner.household.pk)
    await get_channel_layer().group_send(group, group_message({"type": "thing", "id": -1}))
    snapshot = await page.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert str(account.pk) in snapshot["accounts"]
    held = await page.receive_json_from(timeout=5)
    assert (held["type"], held["id"], held["seq"]) == ("thing", -1, snapshot["seq"] + 1)
    await page.disconnect()


async def test_malformed_and_unknown_frames_are_ignored(owner, cloud, clean_redis):
    page = await _page(owner)
    await page.receive_json_from()
    await page.send_to(text_data="{not json")
    await page.send_json_to({"type": "nonsense"})
    await page.send_json_to({"type": "control", "thing": "x"})
    reply = await _until(page, "control_result")
    assert reply["status"] == "invalid"
    await page.disconnect()


async def test_a_page_that_stops_acking_is_cut_off(owner, cloud, clean_redis, monkeypatch):
    monkeypatch.setattr(consumers, "MAX_UNACKED", 5)
    page = await _page(owner)
    await page.receive_json_from()
    await page.send_json_to({"type": "ack", "seq": 1})
    layer = get_channel_layer()
    group = household_group(owner.household.pk)
    frames, closed = [], None
    for n in range(10):  # one at a time, each received before the next: not batched
        await layer.group_send(group, group_message({"type": "thing", "id": n}))
        output = await page.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            closed = output["code"]
            break
        frames.append(output)
    assert closed == CLOSE_TOO_SLOW
    assert len(frames) == 5  # seq 2..6 were sent, then the page was too far behind


async def test_a_batch_result_reaches_only_the_pages_of_who_started_it(
    owner, member, cloud, clean_redis
):
    mine, theirs = await _page(owner), await _page(member)
    for page in (mine, theirs):
        assert (await page.receive_json_from(timeout=5))["type"] == "snapshot"
    group = household_group(owner.household.pk)
    summary = "Switched off 1 of 2 in the room Garage."
    result = {"type": "batch_result", "user": owner.user.pk, "ok": False,
              "summary": summary, "lines": ["Lamp: offline"]}  # fmt: skip
    layer = get_channel_layer()
    await layer.group_send(group, group_message(result))
    await layer.group_send(group, group_message({"type": "thing", "id": -7}))
    got = await _until(mine, "batch_result")
    assert got["summary"] == result["summary"]
    assert got["lines"] == ["Lamp: offline"]
    # The member's page gets the next event of the household, and never the batch's answers.
    frame = await theirs.receive_json_from(timeout=5)
    assert (frame["type"], frame["id"]) == ("thing", -7)
    for page in (mine, theirs):
        await page.disconnect()


def _many_things(account, count: int) -> None:
    """A household the size the benchmark's `--hold 3000 --hold-devices 4` makes."""
    now = timezone.now()
    with scopes_disabled():
        Thing.objects.bulk_create(
            [
                Thing(
                    household_id=account.household_id,
                    account=account,
                    cloud_id=f"bulk{i:06d}",
                    item_type=1,
                    name=f"Sensor {i}",
                    uiid=1770,
                    online=True,
                    params={"temperature": 2150 + i % 100, "humidity": 4000 + i % 50},
                    last_update_at=now,
                )
                for i in range(count)
            ],
            batch_size=2000,
        )


async def test_a_household_of_12000_things_gets_its_whole_snapshot_in_frames_daphne_sends(
    owner, cloud, clean_redis
):
    """The snapshot of a large household comes in parts, none of megabytes (each well under
    Daphne's default 1 MiB limit, should a deployment keep it), and the page gets every thing."""
    account = await link(owner, US)
    await sync_to_async(_many_things)(account, 12_000)
    expected = await sync_to_async(
        lambda: set(
            Thing.objects.with_scopes_disabled()
            .filter(household_id=owner.household.pk)
            .values_list("pk", flat=True)
        )
    )()
    page = await _page(owner)
    things: dict[str, dict] = {}
    parts, sizes, seqs = 0, [], []
    while True:
        text = (await page.receive_output(timeout=60))["text"]
        sizes.append(len(text.encode()))
        frame = json.loads(text)
        seqs.append(frame["seq"])
        things.update(frame["things"])
        if frame["type"] == "snapshot":
            break
        assert frame["type"] == "snapshot_part"
        parts += 1
    assert frame["parts"] == parts >= 2
    assert max(sizes) <= consumers.MAX_SEND_BYTES < 2**20
    assert sum(sizes) > 2**20  # it would not have fitted in one frame
    assert seqs == list(range(1, parts + 2))
    assert {int(pk) for pk in things} == expected
    assert things[str(max(expected))]["state"]["temperature"] is not None
    # The socket lives on: a control answer (a refusal here) comes after the snapshot.
    await page.send_json_to({"type": "control", "request": "c", "thing": 0, "control": "x"})
    answer = await _until(page, "control_result", request="c")
    assert answer["seq"] == parts + 2
    await page.disconnect()


def test_snapshot_parts_stay_under_the_budget_and_keep_every_thing() -> None:
    views = {str(i): {"body": "x" * (i % 700), "online": True} for i in range(3000)}
    parts = consumers.snapshot_parts(views, budget=50_000)
    assert len(parts) > 10
    assert all(len(part) <= 50_000 for part in parts)
    joined = {}
    for part in parts:
        joined.update(json.loads("{" + part + "}"))
    assert joined == views
    assert consumers.snapshot_parts({}) == [""]
    huge = {"1": {"body": "y" * (2 * 2**20)}, "2": {"body": "ok"}}
    assert json.loads("{" + consumers.snapshot_parts(huge)[0] + "}") == {"2": {"body": "ok"}}


def _things_in(frame: dict) -> list[dict]:
    return frame["frames"] if frame["type"] == "batch" else [frame]


async def test_thing_frames_ready_together_go_out_in_order_and_every_state_arrives(
    owner, cloud, clean_redis
):
    page = await _page(owner)
    await page.receive_json_from()
    layer = get_channel_layer()
    group = household_group(owner.household.pk)
    events = [group_message({"type": "thing", "id": n % 3, "state": {"n": n}}) for n in range(30)]
    await asyncio.gather(*(layer.group_send(group, event) for event in events))
    got: list[tuple[int, int]] = []
    seqs = []
    while len(got) < 30:
        frame = await page.receive_json_from(timeout=5)
        seqs.append(frame["seq"])
        if frame["type"] == "batch":
            assert frame["merged"] == 0  # a page that keeps up gets every state
        got += [(f["id"], f["state"]["n"]) for f in _things_in(frame)]
    assert got == [(n % 3, n) for n in range(30)]
    assert seqs == list(range(2, 2 + len(seqs)))
    assert len(seqs) < 10, seqs  # received together, sent together: a few batch frames
    await page.disconnect()


async def test_a_page_that_is_behind_gets_the_newest_state_of_each_thing(
    owner, cloud, clean_redis, monkeypatch
):
    monkeypatch.setattr(consumers, "BEHIND_FRAMES", 1)  # the snapshot was never acked
    page = await _page(owner)
    await page.receive_json_from()
    layer = get_channel_layer()
    group = household_group(owner.household.pk)
    for n in range(40):
        await layer.group_send(
            group, group_message({"type": "thing", "id": n % 2, "state": {"n": n}})
        )
    newest: dict[int, int] = {}
    received = merged = frames = 0
    while newest != {0: 38, 1: 39}:
        frame = await page.receive_json_from(timeout=5)
        frames += 1
        merged += frame.get("merged", 0)
        for inner in _things_in(frame):
            assert inner["state"]["n"] > newest.get(inner["id"], -1)  # never an older one
            newest[inner["id"]] = inner["state"]["n"]
            received += 1
    assert merged > 0
    assert received + merged == 40  # every state either went out or was counted as merged
    assert frames < 40
    # Other frames keep their place: a control answer after the things queued before it.
    await layer.group_send(group, group_message({"type": "thing", "id": 5, "state": {"n": 1}}))
    await asyncio.sleep(0.01)  # in the outbox (a page behind waits 50 ms for more)
    await page.send_json_to({"type": "control", "request": "c", "thing": 0, "control": "x"})
    first = await page.receive_json_from(timeout=5)
    assert [f["id"] for f in _things_in(first)] == [5]
    assert (await page.receive_json_from(timeout=5))["type"] == "control_result"
    await page.disconnect()


async def test_a_closed_page_socket_leaves_no_channel_subscribed(owner, clean_redis):
    """The consumer's own message loop (realtime.message_loop) ends its channel as
    Channels' does: unsubscribed in Redis, gone from the process."""
    layer = get_channel_layer()
    channels = layer._get_layer().channels  # this process's subscribed channels
    before = set(channels)
    page = await _page(owner)
    assert (await page.receive_json_from())["type"] == "snapshot"
    [mine] = set(channels) - before
    redis = keys.client()
    assert (await redis.pubsub_numsub(mine))[0][1] == 1
    await page.disconnect()
    assert mine not in channels
    assert (await redis.pubsub_numsub(mine))[0][1] == 0
