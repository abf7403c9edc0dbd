"""Structure changes reach open pages as fragments drawn for that page; the snapshot is light."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from devices.models import Room, Thing
from devices.sync import sync_account
from realtime.events import PROTOCOL_VERSION, group_message
from tests.devices.test_sync import _with_client
from tests.realtime.conftest import link, page_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
US = "demo-us@example.com"


async def _page(persona, query: str = "view=dashboard"):
    client = Client()
    await sync_to_async(client.force_login)(persona.user)
    page = await page_socket(client, query)
    snapshot = await page.receive_json_from(timeout=10)
    assert snapshot["type"] == "snapshot"
    return page, snapshot


async def _fragments(page, until_key: str) -> dict[str, dict]:
    """Fragment frames by key, up to and including `until_key` (sent last: the room filter)."""
    frames: dict[str, dict] = {}
    while until_key not in frames:
        frame = await page.receive_json_from(timeout=10)
        if frame["type"] == "fragment":
            frames[frame["key"]] = frame
    return frames


def _thing(account, name: str) -> Thing:
    with scopes_disabled():
        return Thing.objects.select_related("room").get(account=account, name=name)


def _room(account, name: str) -> Room:
    with scopes_disabled():
        return Room.objects.get(home__account=account, name=name)


async def test_a_rename_and_a_move_redraw_both_rooms_on_every_open_dashboard(
    owner, member, cloud, clean_redis
):
    account = await link(owner, US)
    first, snapshot = await _page(owner)
    second, _ = await _page(member)
    assert (snapshot["protocol"], snapshot["structure"]) == (PROTOCOL_VERSION, 1)
    garage = await sync_to_async(_thing)(account, "Garage light")
    target = await sync_to_async(_room)(account, "Living room")
    left = garage.room

    async def change(client):
        await client.update_device_info(garage.cloud_id, name="Carport", roomid=target.cloud_id)

    await sync_to_async(_with_client)(account, change)
    await sync_to_async(sync_account)(account.pk)
    for page in (first, second):
        frames = await _fragments(page, "room-filter")
        gained, lost = frames[f"room-{target.pk}"], frames[f"room-{left.pk}"]
        assert "Carport" in gained["html"]
        assert f'data-thing="{garage.pk}"' in gained["html"]
        assert "Garage light" not in lost["html"]
        assert f'data-thing="{garage.pk}"' not in lost["html"]
        assert gained["parent"] == f"home-{target.home_id}"
        assert gained["structure"] == 2
    await first.disconnect()
    await second.disconnect()


async def test_a_removed_device_and_room_leave_and_an_empty_household_says_so(
    owner, cloud, clean_redis
):
    account = await link(owner, US)
    page, _ = await _page(owner)
    garage = await sync_to_async(_thing)(account, "Garage light")
    room = garage.room

    async def remove(client):
        await client.delete_device(garage.cloud_id)

    await sync_to_async(_with_client)(account, remove)
    await sync_to_async(sync_account)(account.pk)
    frames = await _fragments(page, "room-filter")
    assert f'data-thing="{garage.pk}"' not in (frames[f"room-{room.pk}"]["html"] or "")
    assert frames["empty"]["html"] is None  # other devices are still there
    await page.disconnect()


async def test_a_page_of_no_known_view_gets_no_fragments(owner, cloud, clean_redis):
    account = await link(owner, US)
    page, _ = await _page(owner, "view=nonsense")
    garage = await sync_to_async(_thing)(account, "Garage light")

    async def rename(client):
        await client.update_device_info(garage.cloud_id, name="Carport")

    await sync_to_async(_with_client)(account, rename)
    await sync_to_async(sync_account)(account.pk)
    assert await page.receive_nothing(timeout=1)
    await page.disconnect()


async def test_the_snapshot_brings_only_what_changed_since_the_page_was_drawn(
    owner, cloud, clean_redis
):
    account = await link(owner, US)
    garage = await sync_to_async(_thing)(account, "Garage light")
    old = timezone.now() - timedelta(hours=1)

    def age_all_but_garage() -> None:
        with scopes_disabled():
            Thing.objects.filter(account=account).exclude(pk=garage.pk).update(last_update_at=old)
            Thing.objects.filter(pk=garage.pk).update(last_update_at=timezone.now())

    await sync_to_async(age_all_but_garage)()
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    page, snapshot = await _page(owner, f"view=dashboard&since={quote(since)}")
    assert set(snapshot["things"]) == {str(garage.pk)}
    assert snapshot["things"][str(garage.pk)]["status"].startswith('<span class="badge')
    await page.disconnect()
    full, snapshot = await _page(owner, "view=dashboard&since=not-a-time")
    assert len(snapshot["things"]) > 1  # an unusable `since` gets everything
    await full.disconnect()


def test_publish_refuses_what_is_not_a_page_event() -> None:
    with pytest.raises(TypeError, match="not a page event"):
        group_message({"type": "surprise"})
    assert group_message({"type": "thing", "id": 1})["payload"]["id"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_publish_redis_cannot_take_is_logged_not_raised(monkeypatch, caplog) -> None:
    """The change it announces is committed: `make run` creates the demo household before
    its Redis runs, and a page that missed the news catches up when it reconnects."""
    from django.db import transaction

    import realtime.events

    class Down:
        async def group_send(self, group: str, message: dict) -> None:
            raise ConnectionError("Redis is not running")

    monkeypatch.setattr(realtime.events, "get_channel_layer", Down)
    with transaction.atomic():
        realtime.events.publish(1, {"type": "thing", "id": 1})
    assert "Redis is not running" in caplog.text


async def test_the_worker_takes_up_a_device_a_sync_elsewhere_added(owner, cloud, worker):
    """A sync run by Celery or a page adds a device: the worker holding the account reloads
    its things and the new device's frames go live at once."""
    from tests.realtime.conftest import listen
    from tests.realtime.test_worker import _connected, _first_resync_over

    account = await link(owner, US)
    await _connected(worker, account.pk)
    # The worker's first connect heals with a sync of its own: one that read the cloud before
    # the device was added and stored after ours would take it away again (seen on a busy
    # machine). This test is about a sync elsewhere, so that one is over first.
    await _first_resync_over(worker, account.pk)
    device = cloud.control(
        "POST", "/devices", {"owner": account.apikey, "uiid": 1, "name": "Shed light"}
    )
    await sync_to_async(sync_account)(account.pk)
    shed = await sync_to_async(_thing)(account, "Shed light")
    listener = await listen(owner.household.pk)
    cloud.control("POST", f"/devices/{device['deviceid']}/params", {"params": {"switch": "on"}})
    # The frame of the switch's report, not one announcing the device as the sync found it.
    event = await listener.next("thing", id=shed.pk, where=lambda e: e["state"]["switch"])
    assert event["state"]["switch"] is True


async def test_an_unlinked_accounts_homes_leave_open_pages_and_come_back_on_relink(
    owner, cloud, clean_redis
):
    from accounts import linking
    from devices.models import Home
    from tests.fixtures.cloud import DEMO

    account = await link(owner, US)
    page, _ = await _page(owner)

    def homes() -> list[int]:
        with scopes_disabled():
            return list(Home.objects.filter(account=account).values_list("pk", flat=True))

    home_ids = await sync_to_async(homes)()
    await sync_to_async(linking.unlink)(owner.membership, account)
    frames = await _fragments(page, "room-filter")
    for home_id in home_ids:
        assert frames[f"home-{home_id}"]["html"] is None
    assert frames["empty"]["html"] is not None  # nothing else is linked: the page says so

    demo = DEMO[US]
    await sync_to_async(linking.link_with_password)(
        owner.membership, identifier=US, password=demo["password"],
        country_code=demo["country_code"], label=US,
    )  # fmt: skip
    frames = await _fragments(page, "room-filter")
    drawn = [frames[f"home-{home_id}"]["html"] or "" for home_id in home_ids]
    assert any("Garage light" in html for html in drawn), drawn
    assert frames["empty"]["html"] is None
    await page.disconnect()


async def test_a_thing_page_drawn_before_its_thing_was_stored_is_redrawn_on_connect(
    owner, cloud, clean_redis
):
    # An action's result (here a timer) is stored and announced while the page that asked
    # reloads after its redirect: drawn from the older row, its socket joins too late for the
    # announcement, so the snapshot's newer update of the thing redraws the page's panels.
    account = await link(owner, US)
    garage = await sync_to_async(_thing)(account, "Garage light")
    drawn = garage.last_update_at or timezone.now() - timedelta(seconds=5)
    timer = {"enabled": 1, "mId": "t-1", "type": "repeat", "at": "0 6 * * 1",
             "do": {"switch": "on"}, "coolkit_timer_type": "repeat"}  # fmt: skip
    with scopes_disabled():
        await Thing.objects.filter(pk=garage.pk).aupdate(
            params={**garage.params, "timers": [timer]},
            last_update_at=drawn + timedelta(seconds=1),
        )
    query = f"view=thing&thing={garage.pk}&since={quote(timezone.now().isoformat())}"

    behind, _ = await _page(owner, f"{query}&drawn={quote(drawn.isoformat())}")
    timers = (await _fragments(behind, "thing-timers"))["thing-timers"]
    assert 'data-timer="' in timers["html"]
    await behind.disconnect()

    current = drawn + timedelta(seconds=1)
    level, _ = await _page(owner, f"{query}&drawn={quote(current.isoformat())}")
    assert await level.receive_nothing(timeout=1)  # what it shows is the stored update
    await level.disconnect()


async def test_a_timer_stored_before_a_thing_pages_socket_joined_reaches_its_panel(
    owner, cloud, worker
):
    """The whole path of the case above: the device reports a new timer (nothing on its card
    changes), the worker stores and announces it, and only then does the socket of a page
    drawn from the older row join: its snapshot makes it redraw the timers panel."""
    from tests.realtime.conftest import listen
    from tests.realtime.test_worker import _connected, _first_resync_over

    account = await link(owner, US)
    await _connected(worker, account.pk)
    await _first_resync_over(worker, account.pk)
    garage = await sync_to_async(_thing)(account, "Garage light")
    drawn, drawn_at = garage.last_update_at, timezone.now()  # the page's drawing
    listener = await listen(owner.household.pk)
    timer = {"enabled": 1, "mId": "t-2", "type": "repeat", "at": "0 6 * * 1",
             "do": {"switch": "on"}, "coolkit_timer_type": "repeat"}  # fmt: skip
    cloud.control("POST", f"/devices/{garage.cloud_id}/params", {"params": {"timers": [timer]}})
    await listener.next("details", thing=garage.pk)  # announced before the page's socket

    query = f"view=thing&thing={garage.pk}&since={quote(drawn_at.isoformat())}"
    if drawn is not None:
        query += f"&drawn={quote(drawn.isoformat())}"
    page, _ = await _page(owner, query)
    timers = (await _fragments(page, "thing-timers"))["thing-timers"]
    assert 'data-timer="' in timers["html"]
    await page.disconnect()
