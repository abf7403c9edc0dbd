"""An account moved to another household (admin action): the live path follows it."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scopes_disabled

from accounts.moving import move_account
from devices.models import Thing
from realtime.control import ControlRequest, run_control
from realtime.models import CommandRecord
from tests.realtime.conftest import link, listen, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
US = "demo-us@example.com"


def _garage(account_id: int) -> Thing:
    with scopes_disabled():
        return Thing.objects.get(account_id=account_id, name="Garage light")


async def test_a_moved_accounts_events_go_to_its_new_household_only(owner, outsider, cloud, worker):
    account = await link(owner, US)
    old = await listen(owner.household.pk)
    new = await listen(outsider.household.pk)

    async def held_for(household_id: int) -> bool:
        conn = worker.connections.get(account.pk)
        return conn is not None and conn.connected and conn.household_id == household_id

    await wait_for(lambda: held_for(owner.household.pk))
    await sync_to_async(move_account)(account.pk, outsider.household)
    # Both households' pages are told: gone from the old one, arriving in the new one.
    await old.next("account", id=account.pk, status="disabled")
    await new.next("account", id=account.pk, connection="connecting")
    await wait_for(lambda: held_for(outsider.household.pk))

    garage = await sync_to_async(_garage)(account.pk)
    cloud.control("POST", f"/devices/{garage.cloud_id}/params", {"params": {"switch": "on"}})
    assert (await new.next("thing", id=garage.pk))["state"]["switch"] is True
    with pytest.raises(TimeoutError):  # published together: the old one would have it by now
        await old.next("thing", timeout=0.5, id=garage.pk)


async def test_a_control_caught_by_the_restart_after_a_move_still_lands(
    owner, outsider, cloud, worker
):
    """The worker restarts a moved account; a command queued on the old socket is told it
    closed and goes over REST instead of waiting out its timeout."""
    account = await link(owner, US)

    async def held() -> bool:
        conn = worker.connections.get(account.pk)
        return conn is not None and conn.connected

    await wait_for(held)
    garage = await sync_to_async(_garage)(account.pk)
    listener = await listen(owner.household.pk)
    me = await listener.layer.new_channel()

    async def ask(channel: str, message: dict) -> dict:
        await listener.layer.send(channel, message)
        return await listener.layer.receive(me)

    # A first tap goes out at once and opens the device's merge window (stretched here so a
    # busy machine cannot let it lapse)…
    worker.connections[account.pk].session._merger.window = 2.0
    tap = ControlRequest(owner.user.pk, owner.household.pk, garage.pk, "switch", False, "r0")
    assert (await run_control(tap, ask, me))["status"] == "ok"
    # …so the next one waits in it, queued on the socket, when the account restarts.
    req = ControlRequest(owner.user.pk, owner.household.pk, garage.pk, "switch", True, "r1")
    control = asyncio.create_task(run_control(req, ask, me))
    connection = worker.connections[account.pk]
    async with asyncio.timeout(10):
        while not connection.session._merger._pending:
            await asyncio.sleep(0)
    await worker._drop(account.pk, worker._leases)  # what `_reconcile` does after a move
    result = await asyncio.wait_for(control, 5)
    assert result["status"] == "ok"
    assert cloud.control("GET", f"/devices/{garage.cloud_id}")["params"]["switch"] == "on"
    record = await sync_to_async(
        lambda: CommandRecord.objects.with_scopes_disabled().latest("pk")
    )()
    assert (record.via, record.result) == ("rest", "ok")
