"""Message-centre sync against cloudsim: per home, incremental, no duplicates."""

from __future__ import annotations

import pytest

from accounts.models import JobKind
from devices.models import Message
from devices.tasks import sync_messages_for_account
from tests.fixtures.cloud import sim_devices

from .conftest import EU, GUEST, calls, task_run

pytestmark = pytest.mark.integration


def test_messages_sync_per_home_incrementally_without_duplicates(link, cloud, unscoped):
    owner_account, guest_account = link(EU), link(GUEST)

    first = sync_messages_for_account.apply(args=[guest_account.pk]).get()
    sync_messages_for_account.apply(args=[owner_account.pk]).get()

    shares = Message.objects.filter(account=guest_account)
    assert first["created"] == shares.count() == 2  # the demo shares two devices with Robin
    assert set(shares.values_list("msg_type", flat=True)) == {"shareNotify_v2"}
    alarm = Message.objects.get(account=owner_account)
    assert alarm.msg_type == "alarmNotify_v2"
    assert alarm.home.name == "Flat"
    assert task_run(guest_account, JobKind.SYNC_MESSAGES).ok

    fan = next(d for d in sim_devices(cloud, owner_account.apikey) if d["name"] == "Ceiling fan")
    cloud.control(
        "POST", f"/devices/{fan['deviceid']}/share", {"to": guest_account.apikey, "permit": 1}
    )
    cloud.control("POST", "/counters/reset")

    second = sync_messages_for_account.apply(args=[guest_account.pk]).get()
    third = sync_messages_for_account.apply(args=[guest_account.pk]).get()

    assert (second["created"], third["created"]) == (1, 0)
    assert shares.count() == 3
    assert shares.filter(payload__deviceName="Ceiling fan").exists()
    homes = guest_account.homes.count()
    assert calls(cloud, "GET /v2/message/read") == 2 * homes  # one page per home and run
