"""A page socket follows its user's access: removal, leaving, role changes, sign-out and a
password change reach open sockets at once (finding 1 of issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import Role
from realtime.consumers import CLOSE_ACCESS_CHANGED
from realtime.events import group_message, household_group
from tests.factories import PASSWORD, HouseholdFactory, MembershipFactory
from tests.fixtures.sockets import PageSocket
from tests.realtime.conftest import link, page_socket
from tests.realtime.test_consumer import US, _garage, _until

NEW = "a new long pass 42"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


async def _signed_in(user: Any) -> Client:
    """A browser that signed in and opened a page (which records its household in the session)."""
    client = Client()
    await sync_to_async(client.force_login)(user)
    assert (await sync_to_async(client.get)(reverse("accounts:household"))).status_code == 200
    return client


async def _open(client: Client) -> PageSocket:
    page = await page_socket(client)
    assert (await page.receive_json_from())["type"] == "snapshot"
    return page


async def _closed_with(page: PageSocket, code: int) -> None:
    """The next output is the close (a household event before it would be a leak)."""
    output = await page.receive_output()
    assert output == {"type": "websocket.close", "code": code}


async def _event(household_id: int, marker: int) -> None:
    await get_channel_layer().group_send(
        household_group(household_id), group_message({"type": "thing", "id": marker})
    )


async def _still_live(page: PageSocket, household_id: int, marker: int) -> None:
    await _event(household_id, marker)
    frame = await _until(page, "thing", id=marker)
    assert frame["id"] == marker


async def test_a_removed_member_is_cut_off_at_once(owner, member, clean_redis):
    page = await _open(await _signed_in(member.user))
    owners_page = await _open(await _signed_in(owner.user))
    await sync_to_async(services.remove_member)(owner.membership, member.membership)
    await _closed_with(page, CLOSE_ACCESS_CHANGED)
    await _event(owner.household.pk, 1)
    assert await page.receive_nothing(timeout=0.3)  # closed: the household's events stop
    await _still_live(owners_page, owner.household.pk, 2)  # the others' pages are untouched
    await owners_page.disconnect()


async def test_thing_frames_queued_for_a_batch_are_dropped_when_access_ends(
    owner, member, clean_redis, monkeypatch
):
    from realtime import consumers

    monkeypatch.setattr(consumers, "BEHIND_FRAMES", 1)  # the page is behind: batches wait
    monkeypatch.setattr(consumers, "BEHIND_FLUSH_S", 1.0)
    page = await _open(await _signed_in(member.user))
    await _event(owner.household.pk, 7)  # queued for the next batch…
    await sync_to_async(services.remove_member)(owner.membership, member.membership)
    await _closed_with(page, CLOSE_ACCESS_CHANGED)  # …and never sent after the removal
    assert await page.receive_nothing(timeout=1.3)


async def test_leaving_closes_the_pages_of_that_household(owner, member, clean_redis):
    page = await _open(await _signed_in(member.user))
    await sync_to_async(services.leave_household)(member.membership)
    await _closed_with(page, CLOSE_ACCESS_CHANGED)


async def test_joining_another_household_leaves_the_open_page_alone(member, clean_redis):
    page = await _open(await _signed_in(member.user))
    await sync_to_async(lambda: MembershipFactory(user=member.user, role=Role.GUEST))()
    await _still_live(page, member.household.pk, 3)
    await page.disconnect()


async def test_a_member_demoted_to_guest_can_no_longer_control(owner, member, cloud, clean_redis):
    account = await link(owner, US)
    garage = await sync_to_async(_garage)(account)
    page = await _open(await _signed_in(member.user))
    await sync_to_async(services.change_role)(owner.membership, member.membership, Role.GUEST)
    await _still_live(page, member.household.pk, 4)  # a guest still sees the household
    await page.send_json_to(
        {"type": "control", "request": "g", "thing": garage.pk, "control": "switch", "value": 1}
    )
    refused = await _until(page, "control_result", request="g")
    while refused["status"] == "pending":
        refused = await _until(page, "control_result", request="g")
    assert refused["status"] == "not_allowed"
    assert cloud.control("GET", f"/devices/{garage.cloud_id}")["params"]["switch"] == "off"
    await page.disconnect()


async def test_signing_out_closes_that_sessions_pages_only(member, clean_redis):
    leaving, staying = await _signed_in(member.user), await _signed_in(member.user)
    page, other = await _open(leaving), await _open(staying)
    await sync_to_async(leaving.post)(reverse("accounts:logout"))
    await _closed_with(page, CLOSE_ACCESS_CHANGED)
    await _still_live(other, member.household.pk, 5)  # another browser stays signed in
    await other.disconnect()


async def test_a_password_change_closes_every_page_of_the_user(member, owner, clean_redis):
    here, elsewhere = await _signed_in(member.user), await _signed_in(member.user)
    page, other = await _open(here), await _open(elsewhere)
    owners_page = await _open(await _signed_in(owner.user))
    answer = await sync_to_async(here.post)(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert answer.status_code == 302
    await _closed_with(page, CLOSE_ACCESS_CHANGED)
    await _closed_with(other, CLOSE_ACCESS_CHANGED)
    # The page reloads: the browser that changed it is still signed in and connects again.
    again = await _open(here)
    await _still_live(again, member.household.pk, 6)
    await _still_live(owners_page, owner.household.pk, 7)
    await again.disconnect()
    await owners_page.disconnect()


async def test_a_socket_picks_the_household_the_session_chose(member, clean_redis):
    other = await sync_to_async(lambda: HouseholdFactory(name="Aaa first by name"))()
    await sync_to_async(lambda: MembershipFactory(user=member.user, household=other))()
    client = await _signed_in(member.user)  # the first by name: "Aaa first by name"

    def choose() -> None:
        session = client.session
        session["household_id"] = member.household.pk  # as switching households does
        session.save()

    await sync_to_async(choose)()
    page = await _open(client)
    await _still_live(page, member.household.pk, 8)
    await page.disconnect()


async def test_a_deactivated_users_pages_are_closed(member, clean_redis):
    page = await _open(await _signed_in(member.user))

    def deactivate() -> None:
        member.user.is_active = False
        member.user.save(update_fields=["is_active"])

    await sync_to_async(deactivate)()
    await _closed_with(page, CLOSE_ACCESS_CHANGED)
