"""Tenancy: every household-scoped URL answers 404 to someone from another household."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_scopes import ScopeError

from accounts.models import Invitation, Membership, NotificationKind
from accounts.notifications import notify
from devices.models import Home, Room, Thing, ThingAction
from tests.factories import InvitationFactory, LinkedAccountFactory


def victim_thing(victim: Any) -> Thing:
    """A device of the victim household (a two-channel switch: every settings form shows)."""
    account = LinkedAccountFactory(household=victim.household)
    return Thing.objects.with_scopes_disabled().create(
        household=victim.household, account=account, cloud_id="1000victim", item_type=1,
        name="Victim's switch", uiid=2, model="PSF-B01-GL", fw_version="3.5.0",
        params={"switches": [{"switch": "on", "outlet": 0}, {"switch": "off", "outlet": 1}]},
    )  # fmt: skip


def victim_home(victim: Any) -> Home:
    """A home of the victim household's linked account."""
    account = LinkedAccountFactory(household=victim.household)
    return Home.objects.with_scopes_disabled().create(
        household=victim.household, account=account, cloud_id="victimhome", name="Victim's"
    )


def victim_room(victim: Any) -> Room:
    home = victim_home(victim)
    return Room.objects.with_scopes_disabled().create(
        household=victim.household, home=home, cloud_id="victimroom", name="Victim's hall"
    )


def victim_group(victim: Any) -> Thing:
    """A device group of the victim household's linked account."""
    account = LinkedAccountFactory(household=victim.household)
    return Thing.objects.with_scopes_disabled().create(
        household=victim.household, account=account, kind="group", cloud_id="victimgroup",
        item_type=3, name="Victim's lights", params={"switch": "off"}, extra={"members": []},
    )  # fmt: skip


# URL name → how to make an object of the victim household for its `pk`.
# A new URL with an object in its path must be added here, or test_every_object_url_is_covered
# fails: forgetting the scope check of a new page cannot go unnoticed.
VICTIM_OBJECTS: dict[str, Callable[[Any], Any]] = {
    "accounts:invitation_revoke": lambda victim: InvitationFactory(household=victim.household),
    "accounts:member_role": lambda victim: victim.membership,
    "accounts:member_remove": lambda victim: victim.membership,
    "accounts:account_sync": lambda victim: LinkedAccountFactory(household=victim.household),
    "accounts:account_unlink": lambda victim: LinkedAccountFactory(household=victim.household),
    "accounts:account_settings": lambda victim: LinkedAccountFactory(household=victim.household),
    "accounts:account_close": lambda victim: LinkedAccountFactory(household=victim.household),
    **dict.fromkeys(
        [
            "dashboard:homes_rename",
            "dashboard:homes_current",
            "dashboard:homes_delete",
            "dashboard:rooms_add",
            "dashboard:rooms_order",
            "dashboard:homes_switch",
        ],
        victim_home,
    ),
    **dict.fromkeys(
        [
            "dashboard:rooms_rename",
            "dashboard:rooms_move",
            "dashboard:rooms_delete",
            "dashboard:rooms_switch",
        ],
        victim_room,
    ),
    **dict.fromkeys(
        ["dashboard:homes_add", "dashboard:device_add", "dashboard:account_overview"],
        lambda victim: LinkedAccountFactory(household=victim.household),
    ),
    "dashboard:groups_add": lambda victim: LinkedAccountFactory(household=victim.household),
    **dict.fromkeys(
        ["dashboard:groups_rename", "dashboard:groups_members", "dashboard:groups_delete"],
        victim_group,
    ),
    "accounts:notification_read": lambda victim: notify(
        victim.household.pk, NotificationKind.FIRMWARE, "Firmware for the victim"
    ),
    "dashboard:message_read": lambda victim: victim_message(victim),
    "logbook:thing_history": victim_thing,
    "logbook:thing_history_fetch": victim_thing,
}

# URLs with path arguments that are not household objects.
NOT_HOUSEHOLD_SCOPED = {"accounts:invitation_accept", "accounts:invitation_signup"}


def victim_message(victim: Any) -> Any:
    from datetime import UTC, datetime

    from devices.models import Message

    return Message.objects.with_scopes_disabled().create(
        household=victim.household, account=LinkedAccountFactory(household=victim.household),
        msgid="victim", msg_type="alarmNotify_v2", payload={}, date=datetime.now(UTC),
    )  # fmt: skip


def _named_patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace == "admin":
                continue
            yield from _named_patterns(entry, namespace)
        elif entry.name:
            yield f"{prefix}{entry.name}", entry


def _object_urls() -> list[str]:
    return sorted(
        name for name, pattern in _named_patterns(get_resolver()) if pattern.pattern.converters
    )


def _thing_urls() -> list[str]:
    """Every thing page and action: its path names the thing."""
    return [name for name in _object_urls() if name.startswith("dashboard:thing")]


VICTIM_OBJECTS.update(dict.fromkeys(_thing_urls(), victim_thing))


def test_every_object_url_is_covered():
    missing = set(_object_urls()) - set(VICTIM_OBJECTS) - NOT_HOUSEHOLD_SCOPED
    assert not missing, f"add these URL names to VICTIM_OBJECTS: {sorted(missing)}"


@pytest.mark.parametrize("url_name", sorted(VICTIM_OBJECTS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_for_another_households_object(url_name, method, owner, outsider):
    obj = VICTIM_OBJECTS[url_name](owner)
    url = reverse(url_name, kwargs={"pk": obj.pk})
    response = getattr(outsider.client, method)(url, {"role": "guest"})
    # GET on POST-only views is 405 before any lookup; nothing about the object leaks.
    expected = {404} if method == "post" else {404, 405}
    assert response.status_code in expected
    assert outsider.household.name not in ("", None)


def test_outsider_cannot_choose_another_households_things(owner, outsider, unscoped):
    """The selection's URLs name no object: another household's ids are simply not found."""
    thing = victim_thing(owner)
    room = victim_room(owner)
    for name, data in (
        ("dashboard:selection_switch", {"state": "off", "thing": [str(thing.pk)]}),
        ("dashboard:selection_refresh", {"thing": [str(thing.pk)]}),
        ("dashboard:selection_move", {"thing": [str(thing.pk)], "room": str(room.pk)}),
    ):
        response = outsider.client.post(reverse(name), data)
        assert response.status_code == 302
        assert "Choose one or more things first" in _messages(response)
    assert Thing.objects.get(pk=thing.pk).room_id is None
    assert not ThingAction.objects.filter(thing=thing).exists()


def _messages(response: Any) -> str:
    from django.contrib.messages import get_messages

    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_outsider_actions_change_nothing(owner, outsider, unscoped):
    outsider.client.post(
        reverse("accounts:member_role", args=[owner.membership.pk]), {"role": "guest"}
    )
    outsider.client.post(reverse("accounts:member_remove", args=[owner.membership.pk]))
    assert Membership.objects.get(pk=owner.membership.pk).role == "owner"


def test_scoped_models_refuse_queries_outside_a_scope(db):
    with pytest.raises(ScopeError):
        list(Invitation.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.count()


def test_outsider_reads_no_readings_of_another_households_meter(owner, outsider, unscoped):
    """The chart endpoint is a 404, with nothing of the victim's samples in it."""
    from django.utils import timezone

    from readings.models import Sample

    thing = victim_thing(owner)
    thing.uiid, thing.params = 32, {"switch": "on", "power": "1234.50"}
    thing.save()
    Sample.objects.create(thing=thing, series="power", at=timezone.now(), value=1234.5)
    url = reverse("dashboard:thing_readings", kwargs={"pk": thing.pk})
    response = outsider.client.get(url, {"range": "6h"})
    assert response.status_code == 404
    assert b"1234.5" not in response.content
    mine = owner.client.get(url, {"range": "6h"})
    assert mine.status_code == 200
    assert mine.json()["data"]["power"]["avg"] == [1234.5]


@pytest.mark.parametrize("url", ["/logbook/", "/logbook/export.csv", "/logbook/export.json"])
@pytest.mark.parametrize("name", ["thing", "room", "home"])
def test_logbook_filters_naming_another_households_object_are_404(url, name, owner, outsider):
    """Not an empty list: a 404, as for any other object of another household."""
    thing = victim_thing(owner)
    room = victim_room(owner)
    pk = {"thing": thing.pk, "room": room.pk, "home": room.home_id}[name]
    assert outsider.client.get(f"{url}?{name}={pk}").status_code == 404
    assert owner.client.get(f"{url}?{name}={pk}").status_code == 200
