"""Every message type of the page socket as each role, and as an outsider (security suite).

A page may send `ack`, `control`, anything else (ignored) or junk (ignored). Guests are
refused controls, members and up are served, an outsider cannot reach our things; every
socket keeps answering afterwards. The cloud's state says what really happened.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django_scopes import scopes_disabled

from accounts.models import Role
from devices.models import Thing
from tests.conftest import Persona
from tests.factories import MembershipFactory
from tests.realtime.conftest import link
from tests.realtime.test_consumer import _page, _until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
US = "demo-us@example.com"


def _garage(account) -> Thing:
    with scopes_disabled():
        return Thing.objects.get(account=account, name="Garage light")


async def _persona(household, role) -> Persona:
    membership = await sync_to_async(MembershipFactory)(household=household, role=role)
    client = Client()
    await sync_to_async(client.force_login)(membership.user)
    return Persona(membership, client)


@pytest.mark.parametrize(
    ("role", "served"),
    [(Role.GUEST, False), (Role.MEMBER, True), (Role.ADMIN, True), (Role.OWNER, True)],
)
async def test_each_message_type_as_each_role(role, served, owner, cloud, clean_redis):
    account = await link(owner, US)
    garage = await sync_to_async(_garage)(account)
    actor = owner if role == Role.OWNER else await _persona(owner.household, role)
    page = await _page(actor)
    snapshot = await page.receive_json_from(timeout=10)
    assert snapshot["type"] == "snapshot"

    await page.send_json_to({"type": "ack", "seq": snapshot["seq"]})
    await page.send_json_to({"type": "subscribe", "everything": True})  # unknown: ignored
    await page.send_to(text_data="[1, 2")  # junk: ignored
    await page.send_json_to(
        {"type": "control", "request": "r", "thing": garage.pk, "control": "switch", "value": True}
    )
    result = await _until(page, "control_result", request="r")
    while result["status"] == "pending":
        result = await _until(page, "control_result", request="r")

    switch = cloud.control("GET", f"/devices/{garage.cloud_id}")["params"]["switch"]
    if served:
        assert (result["status"], switch) == ("ok", "on")
    else:
        assert (result["status"], switch) == ("not_allowed", "off")
        assert result["message"] == "Guests can look but not control."
    # Still answering: a second control gets its own result.
    await page.send_json_to({"type": "control", "request": "again", "thing": garage.pk,
                             "control": "switch", "value": False})  # fmt: skip
    assert (await _until(page, "control_result", request="again"))["request"] == "again"
    await page.disconnect()


async def test_an_outsider_cannot_reach_our_things_through_its_socket(
    owner, outsider, cloud, clean_redis
):
    account = await link(owner, US)
    garage = await sync_to_async(_garage)(account)
    page = await _page(outsider)
    snapshot = await page.receive_json_from(timeout=10)
    assert snapshot["household"] == outsider.household.pk
    assert all(thing["id"] != garage.pk for thing in snapshot.get("things", []))

    await page.send_json_to(
        {"type": "control", "request": "x", "thing": garage.pk, "control": "switch", "value": True}
    )
    result = await _until(page, "control_result", request="x")
    while result["status"] == "pending":
        result = await _until(page, "control_result", request="x")
    assert (result["status"], result["message"]) == (
        "invalid",
        "That device is not in this household.",
    )
    assert cloud.control("GET", f"/devices/{garage.cloud_id}")["params"]["switch"] == "off"
    await page.disconnect()
