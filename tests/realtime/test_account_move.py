"""An account moved to another household (admin action): the live path follows it."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scopes_disabled

from accounts.moving import move_account
from devices.models import Thing
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
