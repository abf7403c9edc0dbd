"""The message centre: names, words, filters, read marks by role, alarms as notifications."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

import ewelink
from accounts.models import Notification, NotificationKind
from accounts.signals import household_event
from devices.messages import store_messages
from devices.models import Home, Message, Thing
from tests.factories import LinkedAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)
URL = reverse("dashboard:messages")


def cloud_message(msgid: str, msg_type: str, body: Any, age_s: int = 0) -> ewelink.Message:
    raw = {"msgid": msgid, "msgType": msg_type, "message": body}
    return ewelink.Message.from_raw(raw | {"date": int((time.time() - age_s) * 1000)})


@pytest.fixture
def flat(household):  # type: ignore[no-untyped-def]
    """An account with two homes and a smoke alarm we know by our own name."""
    account = LinkedAccountFactory(household=household, label="EU account")
    with scopes_disabled():
        home = Home.objects.create(household=household, account=account, cloud_id="f1", name="Flat")
        Home.objects.create(household=household, account=account, cloud_id="c1", name="Cottage")
        Thing.objects.create(
            household=household, account=account, cloud_id="1000smoke", item_type=1,
            name="Our smoke alarm", uiid=102, params={},
        )  # fmt: skip
    return account, home


@pytest.fixture
def events():  # type: ignore[no-untyped-def]
    heard: list[dict[str, Any]] = []

    def receive(sender: Any, household_id: int, payload: dict[str, Any], **kwargs: Any) -> None:
        heard.append(payload)

    household_event.connect(receive, dispatch_uid="test-message-centre")
    yield heard
    household_event.disconnect(dispatch_uid="test-message-centre")


def store(account, home, *messages: ewelink.Message) -> int:  # type: ignore[no-untyped-def]
    return store_messages(account, home.pk, list(messages))


def test_lines_name_the_device_kind_and_content(flat, owner):
    account, home = flat
    store(
        account, home,
        cloud_message("a", "alarmNotify_v2",
                      {"deviceid": "1000smoke", "deviceName": "Cloud", "alarm": "smoke"}),
        cloud_message("b", "shareNotify_v2",
                      {"deviceid": "1000gone", "deviceName": "Sofa lamp", "fromName": "Ann"}, 5),
        cloud_message("c", "weirdNotify_v9", {"x": 1}, 10),
        cloud_message("d", "opsNotify_v2", {"switch": "on"}, 15),
    )  # fmt: skip

    page = owner.client.get(URL).content.decode()

    assert "Smoke detected" in page
    assert "Our smoke alarm" in page
    assert "Share notice" in page
    assert "Sofa lamp" in page
    assert "Ann shared it" in page
    assert "weirdNotify_v9" in page
    assert "{&quot;x&quot;: 1}" in page
    assert "Device action" in page
    assert "unknown device" in page
    assert "switch: on" in page
    assert "4</span> unread" in page


def test_filters_by_type_home_and_read_state(flat, owner):
    account, home = flat
    with scopes_disabled():
        cottage = Home.objects.get(cloud_id="c1")
    store(account, home, cloud_message("a", "alarmNotify_v2", {"alarm": "smoke"}))
    store(account, cottage, cloud_message("b", "pushNotify_v2", {"text": "Cottage push"}))
    with scopes_disabled():
        Message.objects.filter(msgid="b").update(read_at="2026-01-01T00:00:00Z")

    def shown(**query: str) -> set[str]:
        body = owner.client.get(URL, query).content.decode()
        return {kind for kind in ("Smoke detected", "Cottage push") if kind in body}

    assert shown() == {"Smoke detected", "Cottage push"}
    assert shown(type="pushNotify_v2") == {"Cottage push"}
    assert shown(home=str(cottage.pk)) == {"Cottage push"}
    assert shown(read="unread") == {"Smoke detected"}
    assert shown(read="read") == {"Cottage push"}
    assert shown(type="nonsense", home="x", read="maybe") == {"Smoke detected", "Cottage push"}


def test_members_mark_read_and_guests_are_refused(flat, member, guest, events):
    account, home = flat
    store(
        account, home,
        cloud_message("a", "pushNotify_v2", {"text": "one"}),
        cloud_message("b", "pushNotify_v2", {"text": "two"}),
    )  # fmt: skip
    with scopes_disabled():
        first = Message.objects.get(msgid="a")

    assert "Mark read" not in guest.client.get(URL).content.decode()
    refused = guest.client.post(reverse("dashboard:message_read", args=[first.pk]))
    assert refused.status_code == 403
    assert guest.client.post(reverse("dashboard:messages_read_all")).status_code == 403
    with scopes_disabled():
        assert Message.objects.filter(read_at=None).count() == 2

    done = member.client.post(reverse("dashboard:message_read", args=[first.pk]) + "?read=unread")
    assert done.status_code == 302
    assert done["Location"] == URL + "?read=unread"
    with scopes_disabled():
        assert set(Message.objects.filter(read_at=None).values_list("msgid", flat=True)) == {"b"}
    member.client.post(reverse("dashboard:messages_read_all"))
    with scopes_disabled():
        assert not Message.objects.filter(read_at=None).exists()
    # Each mark told the household's open pages, with what is left unread; refusals told none.
    marks = [p for p in events if p["type"] == "messages" and p["count"] == 0]
    assert [p["unread"] for p in marks] == [1, 0]


def test_an_alarm_becomes_one_notification_and_pages_hear_of_new_messages(flat, events):
    account, home = flat
    alarm = cloud_message("a", "alarmNotify_v2", {"deviceid": "1000smoke", "alarm": "smoke"})
    push = cloud_message("b", "pushNotify_v2", {"text": "hello"}, 5)

    assert store(account, home, alarm, push) == 2
    assert store(account, home, alarm, push) == 0  # the next sync sees them again

    with scopes_disabled():
        notes = list(Notification.objects.filter(household=account.household))
    assert [(n.kind, n.title) for n in notes] == [
        (NotificationKind.ALARM, "Smoke detected: Our smoke alarm")
    ]
    announced = [e for e in events if e["type"] == "messages"]
    assert announced == [{"type": "messages", "count": 2, "unread": 2}]


def test_another_households_message_is_not_shown_nor_markable(flat, outsider):
    account, home = flat
    store(account, home, cloud_message("a", "alarmNotify_v2", {"alarm": "smoke"}))
    with scopes_disabled():
        message = Message.objects.get(msgid="a")

    assert "Smoke detected" not in outsider.client.get(URL).content.decode()
    response = outsider.client.post(reverse("dashboard:message_read", args=[message.pk]))
    assert response.status_code == 404
    with scopes_disabled():
        assert Message.objects.get(pk=message.pk).read_at is None
