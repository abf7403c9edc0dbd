"""The logbook's timeline: a merge of per-source keyset queries, its filters and its roles."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django_scopes import scope, scopes_disabled

from accounts.models import Membership, NotificationKind, Role
from accounts.notifications import notify
from devices.models import HistoryEntry, Home, Room, Thing
from logbook import timeline
from logbook.models import EventKind, LogbookEvent
from logbook.timeline import Cursor, Filters
from realtime.models import CommandRecord
from tests.factories import LinkedAccountFactory, MembershipFactory

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _thing(household: Any, name: str = "Lamp", cloud_id: str = "10000abc01") -> Thing:
    account = LinkedAccountFactory(household=household)
    home = Home.objects.create(
        household=household, account=account, cloud_id=f"h{cloud_id}", name="Home"
    )
    room = Room.objects.create(household=household, home=home, cloud_id=f"r{cloud_id}", name="Hall")
    return Thing.objects.create(
        household=household, account=account, cloud_id=cloud_id, item_type=1, name=name,
        uiid=1, params={"switch": "off"}, home=home, room=room,
    )  # fmt: skip


def _history(thing: Thing, at: datetime, switch: str = "on", n: int = 0) -> HistoryEntry:
    return HistoryEntry.objects.create(
        household_id=thing.household_id, thing=thing, ops_time=at, user_agent="app",
        ops_account="grandma@example.com", request={"switch": switch}, fingerprint=f"{at}{n}",
    )  # fmt: skip


def _command(thing: Thing, at: datetime, user: Any) -> CommandRecord:
    record = CommandRecord.objects.create(
        household_id=thing.household_id, account=thing.account, thing=thing,
        thing_name=thing.name, user=user, control="switch", value="off", params={},
        via="socket", result="ok", message="Done",
    )  # fmt: skip
    CommandRecord.objects.filter(pk=record.pk).update(created_at=at)  # auto_now_add
    return record


@pytest.fixture
def busy(owner: Any) -> dict[str, Any]:
    """A lamp with cloud history and dashboard commands, some in the same instant."""
    with scopes_disabled():
        lamp = _thing(owner.household)
        for n in range(7):
            _history(lamp, T0 + timedelta(seconds=n // 2), "on" if n % 2 else "off", n)
        for n in range(4):
            _command(lamp, T0 + timedelta(seconds=n), owner.user)
        LogbookEvent.objects.create(
            household=owner.household, thing=lamp, kind=EventKind.CONNECTIVITY,
            at=T0 + timedelta(seconds=1), text="Went offline",
        )  # fmt: skip
    return {"lamp": lamp}


def _all_pages(household_id: int, filters: Filters, limit: int) -> list[timeline.Entry]:
    seen: list[timeline.Entry] = []
    cursor = None
    with scope(household=household_id):
        while True:
            page = timeline.page(household_id, filters, show_who=True, before=cursor, limit=limit)
            seen += page.entries
            if not page.more:
                return seen
            cursor = Cursor.decode(page.next_cursor)


@pytest.mark.parametrize("limit", [1, 2, 5, 50])
def test_pages_walk_every_entry_once_in_order_across_sources_and_ties(owner, busy, limit):
    entries = _all_pages(owner.household.pk, Filters(), limit)
    assert len(entries) == 7 + 4 + 1
    assert len({(e.rank, e.pk) for e in entries}) == 12  # none twice
    assert [e.key() for e in entries] == sorted((e.key() for e in entries), reverse=True)


def test_newer_than_a_row_is_exactly_the_rows_above_it(owner, busy):
    entries = _all_pages(owner.household.pk, Filters(), 50)
    middle = entries[5]
    with scope(household=owner.household.pk):
        newer = timeline.newer(
            owner.household.pk, Filters(), Cursor(middle.at, middle.rank, middle.pk), show_who=True
        )
    assert [e.key() for e in newer] == [e.key() for e in entries[:5]]


def test_filters_narrow_by_kind_device_person_and_date(owner, member, busy):
    hid = owner.household.pk
    lamp = busy["lamp"]
    with scopes_disabled():
        other = _thing(owner.household, "Fan", "10000abc02")
        _history(other, T0, "on", 99)
    commands = _all_pages(hid, Filters(kinds=("command",)), 3)
    assert {e.kind for e in commands} == {"command"}
    assert len(commands) == 4
    assert {e.thing_id for e in _all_pages(hid, Filters(thing=other.pk), 3)} == {other.pk}
    assert len(_all_pages(hid, Filters(room=lamp.room_id), 50)) == 12
    mine = _all_pages(hid, Filters(person=owner.user.pk), 50)
    assert {e.kind for e in mine} == {"command"}  # the cloud's history names no person here
    assert _all_pages(hid, Filters(person=member.user.pk), 50) == []
    late = _all_pages(hid, Filters(since=T0 + timedelta(seconds=3)), 50)
    assert {e.at for e in late} == {T0 + timedelta(seconds=3)}


def test_guests_see_what_happened_but_not_who(owner, guest, busy):
    response = guest.client.get("/logbook/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "switch: on" in text
    assert "Went offline" in text
    assert "grandma@example.com" not in text
    assert owner.user.email not in text
    as_owner = owner.client.get("/logbook/").content.decode()
    assert "by grandma@example.com" in as_owner
    assert f"by {owner.user.email}" in as_owner


def test_people_and_account_events_are_for_admins(owner, admin, member, busy):
    MembershipFactory(household=owner.household, role=Role.GUEST)  # "… joined as guest"
    assert "joined as guest" in admin.client.get("/logbook/").content.decode()
    assert "joined as guest" not in member.client.get("/logbook/").content.decode()
    # Asking for a kind one may not see is the same as not asking.
    assert "joined as guest" not in member.client.get("/logbook/?kind=membership").content.decode()


def test_membership_and_account_changes_are_recorded(owner, unscoped):
    joined = MembershipFactory(household=owner.household, role=Role.MEMBER)
    joined.role = Role.ADMIN
    joined.save(update_fields=["role"])
    Membership.objects.filter(pk=joined.pk).first().delete()
    LinkedAccountFactory(household=owner.household, label="Main")
    notify(owner.household.pk, NotificationKind.ALARM, "Leak sensor: water")
    texts = [
        e.what
        for e in _all_pages(
            owner.household.pk, Filters(kinds=timeline.visible_kinds(Role.OWNER)), 50
        )
    ]
    email = joined.user.email
    assert texts[:5] == [
        "Leak sensor: water",
        "eWeLink account Main linked",
        f"{email} left",
        f"{email} is now admin",
        f"{email} joined as member",
    ]


def test_htmx_pages_chain_to_older_ones_by_cursor(owner, busy):
    first = owner.client.get("/logbook/?kind=device", HTTP_HX_REQUEST="true").content.decode()
    assert first.count("data-entry ") == 7
    assert "data-older" not in first
    with scopes_disabled():
        lamp = busy["lamp"]
        for n in range(60):
            _history(lamp, T0 - timedelta(minutes=n + 1), "on", 100 + n)
    first = owner.client.get("/logbook/?kind=device", HTTP_HX_REQUEST="true").content.decode()
    assert first.count("data-entry ") == 50
    older = first.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
    rest = owner.client.get(older, HTTP_HX_REQUEST="true").content.decode()
    assert rest.count("data-entry ") == 17
    assert "data-older" not in rest


def _csv(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_exports_stream_the_filtered_entries(owner, guest, busy):
    lamp = busy["lamp"]
    response = owner.client.get(f"/logbook/export.csv?thing={lamp.pk}&kind=command")
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert len(rows) == 4
    assert {r["kind"] for r in rows} == {"command"}
    assert rows[0]["who"] == owner.user.email
    assert rows[0]["device"] == "Lamp"
    as_guest = _csv(guest.client.get("/logbook/export.csv"))
    assert len(as_guest) == 12
    assert {r["who"] for r in as_guest} == {""}
    data = json.loads(b"".join(owner.client.get("/logbook/export.json").streaming_content))
    assert len([d for d in data if d["kind"] not in ("account", "membership")]) == 12
    assert {d["kind"] for d in data} >= {"account", "membership"}  # the owner sees them too
    assert data[0]["time"] >= data[-1]["time"]


def test_another_households_device_as_a_filter_is_a_404(owner, outsider, busy):
    lamp = busy["lamp"]
    for url in ("/logbook/", "/logbook/export.csv", "/logbook/export.json"):
        assert outsider.client.get(f"{url}?thing={lamp.pk}").status_code == 404
        assert outsider.client.get(f"{url}?room={lamp.room_id}").status_code == 404
        assert outsider.client.get(f"{url}?person={owner.user.pk}").status_code == 404


def test_a_bad_date_is_said_in_words(owner, busy):
    response = owner.client.get("/logbook/?since=yesterday", follow=True)
    assert "is not a date" in response.content.decode()


def test_thing_history_panel_merges_cloud_and_dashboard(owner, guest, busy):
    lamp = busy["lamp"]
    rows = owner.client.get(f"/things/{lamp.pk}/history/").content.decode()
    assert rows.count('data-kind="device"') == 7
    assert rows.count('data-kind="command"') == 4
    assert 'data-kind="connectivity"' not in rows
    assert "by grandma@example.com" in rows
    assert "via app" in rows
    assert "grandma" not in guest.client.get(f"/things/{lamp.pk}/history/").content.decode()
    later = owner.client.get(f"/things/{lamp.pk}/history/?since=2026-11-21").content.decode()
    assert "data-entry" not in later


def test_fetch_newer_now_is_for_members(member, guest, busy):
    lamp = busy["lamp"]
    refused = guest.client.post(f"/things/{lamp.pk}/history/fetch/")
    assert refused.status_code == 403
    assert "member role" in refused.content.decode()


def test_a_token_refresh_is_an_account_line_for_admins(owner, member, unscoped):
    from accounts.cloud import store_tokens
    from ewelink import Tokens
    from ewelink.regions import as_region

    account = LinkedAccountFactory(household=owner.household, label="Main")
    store_tokens(account.pk, Tokens("new-at", "new-rt", as_region("eu"), account.apikey))
    lines = _all_pages(owner.household.pk, Filters(kinds=("account",)), 50)
    assert [e.what for e in lines] == [
        "Sign-in renewed (tokens refreshed)",
        "eWeLink account Main linked",
    ]
    assert "Sign-in renewed" not in member.client.get("/logbook/").content.decode()
    assert "new-at" not in owner.client.get("/logbook/export.csv").getvalue().decode()
