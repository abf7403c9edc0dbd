"""Connection states are written in group commits, each caller released once its own is in."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError
from django_scopes import scopes_disabled

from accounts.models import LinkedAccount
from realtime.worker import connection_states
from realtime.worker.connection_states import ConnectionStates
from tests.factories import LinkedAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _accounts(count: int) -> list[int]:
    return [LinkedAccountFactory().pk for _ in range(count)]


def _states(account_ids: list[int]) -> list[str]:
    with scopes_disabled():
        rows = dict(
            LinkedAccount.objects.filter(pk__in=account_ids).values_list("pk", "connection_state")
        )
    return [rows[pk] for pk in account_ids]


@pytest.fixture
def writes(monkeypatch) -> list[dict[int, str]]:
    """Each write's states, as the database is given them."""
    real, seen = connection_states.store_connection_states, []

    def recorded(states: dict[int, str]) -> None:
        seen.append(dict(states))
        real(states)

    monkeypatch.setattr(connection_states, "store_connection_states", recorded)
    return seen


async def test_states_asked_for_during_a_write_go_together_in_the_next(writes) -> None:
    ids = await sync_to_async(_accounts)(50)
    states = ConnectionStates()
    await asyncio.gather(*(states.store(pk, "connecting") for pk in ids))
    # Each caller came back with its state committed.
    assert await sync_to_async(_states)(ids) == ["connecting"] * 50
    assert len(writes) <= 2  # the first alone (nothing was running), the rest together
    assert sum(len(w) for w in writes) == 50

    writes.clear()
    await asyncio.gather(*(states.store(pk, "online" if pk % 2 else "offline") for pk in ids))
    assert await sync_to_async(_states)(ids) == ["online" if pk % 2 else "offline" for pk in ids]
    assert len(writes) <= 2


async def test_the_last_state_asked_for_an_account_is_the_one_it_keeps(writes) -> None:
    (pk,) = await sync_to_async(_accounts)(1)
    states = ConnectionStates()
    await asyncio.gather(
        states.store(pk, "connecting"), states.store(pk, "online"), states.store(pk, "offline")
    )
    assert await sync_to_async(_states)([pk]) == ["offline"]
    assert writes[-1] == {pk: "offline"}


async def test_a_failed_write_fails_its_callers_and_the_next_write_goes_through(
    monkeypatch,
) -> None:
    ids = await sync_to_async(_accounts)(3)
    real, calls = connection_states.store_connection_states, []

    def away_once(states: dict[int, str]) -> None:
        calls.append(states)
        if len(calls) == 1:
            raise OperationalError("database went away")
        real(states)

    monkeypatch.setattr(connection_states, "store_connection_states", away_once)
    states = ConnectionStates()
    with pytest.raises(OperationalError):
        await states.store(ids[0], "online")
    await asyncio.gather(*(states.store(pk, "online") for pk in ids))
    assert await sync_to_async(_states)(ids) == ["online"] * 3
