"""The worker's coalesced state writes, against the real database (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scopes_disabled

from devices.models import Thing
from realtime.worker.ingest import StateWriter, live_thing
from tests.factories import LinkedAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _things(count: int) -> list[Thing]:
    account = LinkedAccountFactory()
    with scopes_disabled():
        return [
            Thing.objects.create(
                household=account.household,
                account=account,
                cloud_id=f"dev{n}",
                item_type=1,
                name=f"Plug {n}",
                uiid=1,
                params={"switch": "off"},
            )
            for n in range(count)
        ]


def _stored(pk: int) -> Thing:
    with scopes_disabled():
        return Thing.objects.get(pk=pk)


async def test_many_changes_become_one_write_of_each_things_newest_state():
    things = [live_thing(t) for t in await sync_to_async(_things)(3)]
    writer = StateWriter()
    when = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    for n in range(50):  # a chatty device: only its last state is written
        things[0].params = {"switch": "on" if n % 2 else "off", "power": n, "note": "ü 'quoted'"}
        writer.mark(things[0])
    things[1].online, things[1].last_update = True, when
    writer.mark(things[1])
    await writer.flush()
    await writer.flush()  # nothing dirty: no second write
    assert (writer.writes, writer.rows) == (1, 2)
    first, second, third = [await sync_to_async(_stored)(t.pk) for t in things]
    assert first.params == {"switch": "on", "power": 49, "note": "ü 'quoted'"}
    assert second.online is True
    assert second.last_update_at == when
    assert third.params == {"switch": "off"}
    assert third.online is False


async def test_a_failed_write_keeps_the_states_for_the_next_flush():
    plug, other = [live_thing(t) for t in await sync_to_async(_things)(2)]
    writer = StateWriter()
    plug.params = {"switch": "on", "bad": {1, 2}}  # a set is not JSON: the write fails
    other.params = {"switch": "on"}
    writer.mark(plug)
    writer.mark(other)
    await writer.flush()
    assert writer.writes == 0
    assert (await sync_to_async(_stored)(other.pk)).params == {"switch": "off"}  # all or none
    plug.params = {"switch": "on"}
    await writer.flush()
    assert (writer.writes, writer.rows) == (1, 2)
    assert (await sync_to_async(_stored)(plug.pk)).params == {"switch": "on"}
    assert (await sync_to_async(_stored)(other.pk)).params == {"switch": "on"}


async def test_online_transitions_become_logbook_lines_in_the_same_flush():
    from logbook.models import LogbookEvent

    plug, other = [live_thing(t) for t in await sync_to_async(_things)(2)]
    writer = StateWriter()
    told: list[set[int]] = []

    async def logged(households: set[int]) -> None:
        told.append(households)

    writer.on_logged = logged
    plug.online = True
    writer.note_online(plug)
    writer.mark(plug)
    other.online = False
    writer.note_online(other)  # a transition alone (its state was written before) is written
    await writer.flush()
    await writer.flush()  # nothing left: no second insert, no second word to the pages

    def lines() -> list[tuple[int | None, str]]:
        with scopes_disabled():
            rows = LogbookEvent.objects.filter(kind="connectivity").order_by("pk")
            return list(rows.values_list("thing_id", "text"))

    assert await sync_to_async(lines)() == [(plug.pk, "Came online"), (other.pk, "Went offline")]
    assert told == [{plug.household_id}]
