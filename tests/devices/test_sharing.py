"""Sharing: what a share form accepts before any cloud call, and the panel in each case."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from devices.models import Share, Thing, ThingKind
from devices.presentation import plugin_for
from devices.sharing import clean_permit, clean_recipient, permit_words
from devices.thing_actions import ActionFailed
from devices.thing_page import Viewer, panel_html
from tests.factories import LinkedAccountFactory


@pytest.mark.parametrize(
    ("email", "phone", "country", "expected"),
    [
        (" Kim@Example.com ", "", "", ("kim@example.com", None, None)),
        ("", "151 1234-5678", "+49", (None, "+4915112345678", "+49")),
        ("", "+4915112345678", "+49", (None, "+4915112345678", "+49")),
    ],
)
def test_a_real_email_or_a_phone_with_its_country_code_is_accepted(
    email: str, phone: str, country: str, expected: tuple[str | None, ...]
) -> None:
    recipient = clean_recipient(email, phone, country)
    assert (recipient.email, recipient.phone, recipient.country_code) == expected


@pytest.mark.parametrize(
    ("email", "phone", "country", "words"),
    [
        ("", "", "", "Give the email or the phone number"),
        ("kim@example", "", "", "is not an email address"),
        ("kim@example.com", "5551234", "+1", "not both"),
        ("", "5551234", "1", "A country code is a +"),
        ("", "5551234", "+12345", "A country code is a +"),
        ("", "555-CALL", "+1", "digits only"),
        ("", "+445551234", "+1", "another country code"),
    ],
)
def test_anything_else_is_refused_in_words(
    email: str, phone: str, country: str, words: str
) -> None:
    with pytest.raises(ActionFailed) as refused:
        clean_recipient(email, phone, country)
    assert words in refused.value.message


def test_permits_are_the_four_bits_and_read_as_words() -> None:
    assert clean_permit(["1", "8"]) == 9
    assert clean_permit([]) == 0
    for bad in (["3"], ["16"], ["x"]):
        with pytest.raises(ActionFailed):
            clean_permit(bad)
    assert permit_words(0) == "use it; no timer changes"
    assert permit_words(4) == "use it and delete timers"
    assert permit_words(15) == "use it and do everything with its timers"


def _thing(household, **fields) -> Thing:  # type: ignore[no-untyped-def]
    account = LinkedAccountFactory(household=household)
    defaults = {"cloud_id": "1000aa", "item_type": 1, "name": "Porch lamp", "uiid": 1}
    return Thing.objects.create(household=household, account=account, **(defaults | fields))


def _panel(thing: Thing, role: str) -> str:
    return panel_html("sharing", thing, plugin_for(thing), Viewer(role))


def test_the_panel_lists_shares_with_forms_only_for_admins(household) -> None:  # type: ignore[no-untyped-def]
    with scopes_disabled():
        thing = _thing(household)
        Share.objects.create(
            household=household, thing=thing, to_apikey="k1", to_identifier="kim@example.com",
            to_nickname="Kim", permit=3,
        )  # fmt: skip
        admin, guest = _panel(thing, "admin"), _panel(thing, "guest")
    for html in (admin, guest):
        assert "kim@example.com" in html
        assert "create timers and edit timers" in html
    assert "Stop sharing" in admin
    assert "Share it with" in admin
    assert "<form" not in guest


def test_a_device_shared_with_us_says_by_whom_and_points_at_removal(household) -> None:  # type: ignore[no-untyped-def]
    shared_by = {"apikey": "o1", "email": "robin@example.com", "permit": 8, "shareTime": 1.7e12}
    with scopes_disabled():
        thing = _thing(household, item_type=2, shared_by=shared_by)
        html = _panel(thing, "admin")
    assert "robin@example.com" in html
    assert "turn timers on and off" in html
    assert "Remove from my account" in html
    assert "<form" not in html


def test_a_group_is_not_shared(household) -> None:  # type: ignore[no-untyped-def]
    with scopes_disabled():
        thing = _thing(household, kind=ThingKind.GROUP, item_type=3, uiid=5000)
        html = _panel(thing, "owner")
    assert "shares devices, not groups" in html
    assert "<form" not in html
