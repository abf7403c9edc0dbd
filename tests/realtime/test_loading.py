"""A starting worker reads the things of many accounts in one query, owners included."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from devices.models import Thing
from realtime.worker.ingest import load_devices, load_devices_of
from tests.factories import LinkedAccountFactory

pytestmark = pytest.mark.django_db


def _thing(account, cloud_id: str, **fields) -> Thing:
    with scopes_disabled():
        return Thing.objects.create(
            household=account.household, account=account, cloud_id=cloud_id, item_type=1,
            name=cloud_id, uiid=1, params={"switch": "off"}, **fields,
        )  # fmt: skip


def test_many_accounts_things_come_in_one_query_each_under_its_account(
    django_assert_num_queries,
) -> None:
    first, second, empty = LinkedAccountFactory(), LinkedAccountFactory(), LinkedAccountFactory()
    _thing(first, "lamp", index=2)
    _thing(first, "shared", index=1, owner_apikey="friend-apikey")
    _thing(second, "fan")

    with django_assert_num_queries(1):
        loaded = load_devices_of([first.pk, second.pk, empty.pk])

    assert [t.cloud_id for t in loaded[first.pk]] == ["shared", "lamp"]  # the things' order
    assert [t.cloud_id for t in loaded[second.pk]] == ["fan"]
    assert empty.pk not in loaded
    assert {t.cloud_id: t.owner_apikey for t in loaded[first.pk]} == {
        "shared": "friend-apikey",
        "lamp": "",
    }
    assert [t.pk for t in load_devices(first.pk)] == [t.pk for t in loaded[first.pk]]
    assert load_devices(empty.pk) == []


def test_a_group_names_no_owner_even_where_its_row_has_one() -> None:
    account = LinkedAccountFactory()
    _thing(account, "group-1", kind="group", owner_apikey="someone", extra={"members": []})
    (group,) = load_devices(account.pk)
    assert group.owner_apikey == ""
