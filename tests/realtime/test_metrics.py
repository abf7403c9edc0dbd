"""The live path's metrics: page sockets and frames (web), and the realtime worker's counters,
driven by a real worker, cloudsim and Redis."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django_scopes import scopes_disabled

from devices.models import Thing
from realtime import redis as keys
from realtime.consumers import MAX_FRAME_CHARS
from realtime.worker.ingest import Ingestor, StateWriter
from tests.ops.samples import sample
from tests.realtime.conftest import link, listen, page_socket
from tests.realtime.test_ingest import Recorder, _thing
from tests.realtime.test_worker import _connected
from tests.waiting import async_until

US = "demo-us@example.com"


async def _until(page, kind: str, **match):
    while True:
        frame = await page.receive_json_from(timeout=10)
        # Thing frames ready together come in one batch frame.
        for inner in frame["frames"] if frame["type"] == "batch" else [frame]:
            if inner["type"] == kind and all(inner.get(k) == v for k, v in match.items()):
                return inner


def _garage(account) -> Thing:
    with scopes_disabled():
        return Thing.objects.get(account=account, name="Garage light")


async def test_each_frame_in_and_each_event_out_is_counted():
    ingestor = Ingestor(Recorder(), StateWriter())
    ingestor.load(1, [_thing(1, {"switch": "off"})])
    frames, events = (
        sample("dashboard_realtime_cloud_events_total"),
        sample("dashboard_realtime_events_published_total"),
    )
    await ingestor.on_params(1, "dev1", {"switch": "on"})  # a change: published
    await ingestor.on_params(1, "dev1", {"switch": "on"})  # no change: not published
    await ingestor.on_online(1, "dev1", False)  # a change: published
    assert sample("dashboard_realtime_cloud_events_total") == frames + 3
    assert sample("dashboard_realtime_events_published_total") == events + 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
async def test_a_control_through_a_page_counts_on_the_page_and_in_the_worker(owner, cloud, worker):
    account = await link(owner, US)
    await _connected(worker, account.pk)
    await async_until(lambda: sample("dashboard_realtime_accounts_connected") >= 1)
    assert sample("dashboard_realtime_accounts_held") >= 1
    garage = await sync_to_async(_garage)(account)
    before = {
        "sockets": sample("dashboard_page_sockets_open"),
        "sent": sample("dashboard_page_frames_sent_total"),
        "too_large": sample("dashboard_page_frames_dropped_total", reason="too_large"),
        "page": sample("dashboard_page_control_seconds_count", via="socket", status="ok"),
        "worker": sample("dashboard_realtime_control_seconds_count", status="ok"),
        "events": sample("dashboard_realtime_cloud_events_total"),
    }
    client = Client()
    await sync_to_async(client.force_login)(owner.user)
    page = await page_socket(client)
    await page.receive_json_from()  # the snapshot
    assert sample("dashboard_page_sockets_open") == before["sockets"] + 1

    await page.send_to(text_data="x" * (MAX_FRAME_CHARS + 1))
    await page.send_json_to(
        {"type": "control", "request": "m1", "thing": garage.pk, "control": "switch", "value": True}
    )
    await _until(page, "control_result", request="m1", status="ok")
    await _until(page, "thing", id=garage.pk)  # the device's confirmed state, a cloud event

    assert sample("dashboard_page_frames_sent_total") >= before["sent"] + 4
    assert sample("dashboard_page_frames_dropped_total", reason="too_large") == (
        before["too_large"] + 1
    )
    assert sample("dashboard_page_control_seconds_count", via="socket", status="ok") == (
        before["page"] + 1
    )
    assert sample("dashboard_realtime_control_seconds_count", status="ok") == before["worker"] + 1
    assert sample("dashboard_realtime_cloud_events_total") > before["events"]
    await page.disconnect()
    assert sample("dashboard_page_sockets_open") == before["sockets"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
async def test_a_lost_lease_and_a_reconnect_are_counted(owner, cloud, worker):
    account = await link(owner, US)
    await _connected(worker, account.pk)
    listener = await listen(owner.household.pk)
    reconnects = sample("dashboard_realtime_reconnects_total")
    cloud.control("POST", f"/accounts/{account.apikey}/drop-sockets")
    await listener.next("account", timeout=20, id=account.pk, connection="online")
    await async_until(lambda: sample("dashboard_realtime_reconnects_total") == reconnects + 1)

    losses = sample("dashboard_realtime_lease_losses_total")
    await keys.client().set(keys.lease_key(account.pk), "another-worker", px=15_000)
    await async_until(lambda: sample("dashboard_realtime_lease_losses_total") == losses + 1)
