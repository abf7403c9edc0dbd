"""A sync tells pages what moved: structure events name the things, rooms and homes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import Household
from accounts.signals import household_event
from devices.models import Room, Thing
from devices.sync import sync_account
from tests.devices.test_sync import EU, _link, _with_client

pytestmark = pytest.mark.integration


@pytest.fixture
def announced() -> Iterator[list[dict[str, Any]]]:
    """Every structure event sent while the test runs."""
    events: list[dict[str, Any]] = []

    def receive(sender: Any, *, household_id: int, payload: dict[str, Any], **kw: Any) -> None:
        if payload.get("type") == "structure":
            events.append({"household": household_id, **payload})

    household_event.connect(receive, dispatch_uid="test-structure")
    yield events
    household_event.disconnect(dispatch_uid="test-structure")


def _version(household_id: int) -> int:
    return Household.objects.get(pk=household_id).structure_version


def test_the_first_sync_names_everything_and_an_unchanged_one_nothing(
    owner, cloud, unscoped, announced
):
    account = _link(owner, EU)
    things = set(Thing.objects.filter(account=account).values_list("pk", flat=True))
    (event,) = announced
    assert event["household"] == owner.household.pk
    assert set(event["things"]) == things
    assert set(event["rooms"]) == set(
        Room.objects.filter(home__account=account).values_list("pk", flat=True)
    )
    assert event["accounts"] == [account.pk]
    assert event["version"] == _version(owner.household.pk) == 1
    sync_account(account.pk)  # the cloud did not change
    assert len(announced) == 1
    assert _version(owner.household.pk) == 1


def test_a_rename_a_move_new_channel_names_and_a_removal_are_named(
    owner, cloud, unscoped, announced
):
    account = _link(owner, EU)
    announced.clear()
    lamp = Thing.objects.get(account=account, name="Sofa lamp")
    worktop = Thing.objects.get(account=account, name="Worktop lights")
    pantry = Thing.objects.get(account=account, name="Pantry light")
    bedroom = Room.objects.get(home__account=account, name="Bedroom")
    old_room = lamp.room_id

    async def change(client: Any) -> None:
        await client.update_device_info(lamp.cloud_id, name="Sofa lamp 2", roomid=bedroom.cloud_id)
        await client.set_tags(worktop.cloud_id, {"ck_channel_name": {"0": "Sink", "1": "Hob"}})
        await client.delete_device(pantry.cloud_id)

    _with_client(account, change)
    sync_account(account.pk)
    (event,) = announced
    assert {lamp.pk, worktop.pk, pantry.pk} <= set(event["things"])
    # The lamp's old room and its new one are both redrawn; so are the others' rooms.
    assert {old_room, bedroom.pk, worktop.room_id, pantry.room_id} <= set(event["rooms"])
    assert event["version"] == 2
    lamp.refresh_from_db()
    assert (lamp.name, lamp.room_id) == ("Sofa lamp 2", bedroom.pk)
    assert not Thing.objects.filter(pk=pantry.pk).exists()


def test_a_state_change_alone_is_not_a_structure_change(owner, cloud, unscoped, announced):
    account = _link(owner, EU)
    announced.clear()
    lamp = Thing.objects.get(account=account, name="Sofa lamp")
    cloud.control("POST", f"/devices/{lamp.cloud_id}/params", {"params": {"switch": "on"}})
    sync_account(account.pk)
    assert announced == []
    lamp.refresh_from_db()
    assert lamp.params["switch"] == "on"  # the sync did take the state
