"""The dashboard at scale: its query count does not grow with the household, and rooms after
the first cards arrive as they scroll into view, together exactly the page drawn whole."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.scale.household import make_household
from devices.models import Home, Room, Thing
from devices.presentation import EAGER_CARDS, clear_caches
from tests.factories import LinkedAccountFactory


@pytest.fixture(autouse=True)
def _cold() -> Iterator[None]:
    clear_caches()
    yield
    clear_caches()


def _get(persona, url: str, **params: str):  # type: ignore[no-untyped-def]
    response = persona.client.get(url, params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content[:300]
    return response


def _queries(persona, url: str, **params: str) -> int:
    _get(persona, url, **params)  # the cache is warm for the count, as for most pages
    with CaptureQueriesContext(connection) as queries:
        _get(persona, url, **params)
    return len(queries.captured_queries)


def _things(page: str) -> list[str]:
    return re.findall(r'<article [^>]*data-thing="(\d+)"', page)


def _articles(page: str) -> list[str]:
    return re.findall(r"<article .*?</article>", page, re.S)


def _lazy_urls(page: str) -> list[str]:
    return [unescape(url) for url in re.findall(r'hx-get="([^"]+)"', page)]


HOME = reverse("dashboard:home")
ROOM_CARDS = reverse("dashboard:room_cards")


def test_the_page_makes_as_many_queries_for_5_things_as_for_200(owner, unscoped):
    make_household(owner.household, 5, seed=21)
    small = _queries(owner, HOME)
    small_all = _queries(owner, HOME, all="1")
    make_household(owner.household, 45, seed=22)
    assert Thing.objects.count() >= 50
    assert _queries(owner, HOME) == small
    assert _queries(owner, HOME, all="1") == small_all
    make_household(owner.household, 150, seed=23)  # now with rooms left to scroll to
    page = _get(owner, HOME).content.decode()
    assert _lazy_urls(page)
    assert _queries(owner, HOME) == small
    assert _queries(owner, HOME, all="1") == small_all


def test_a_room_fragment_makes_as_many_queries_for_2_things_as_for_40(owner, unscoped):
    account = LinkedAccountFactory(household=owner.household)
    home = Home.objects.create(household=owner.household, account=account, cloud_id="h", name="H")
    room = Room.objects.create(household=owner.household, home=home, cloud_id="r", name="Hall")
    common = {"household": owner.household, "account": account, "home": home, "room": room}

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            Thing.objects.create(**common, item_type=1, cloud_id=f"d{n}", name=f"Lamp {n}",
                                 uiid=1, params={"switch": "on" if n % 2 else "off"})  # fmt: skip

    add(2, 0)
    few = _queries(owner, ROOM_CARDS, home=str(home.pk), room=str(room.pk))
    add(38, 2)
    page = _get(owner, ROOM_CARDS, home=str(home.pk), room=str(room.pk)).content.decode()
    assert len(_things(page)) == 40
    assert _queries(owner, ROOM_CARDS, home=str(home.pk), room=str(room.pk)) == few


def test_rooms_after_the_first_cards_come_as_fragments_that_make_the_whole_page(owner, unscoped):
    made = make_household(owner.household, 150, seed=31)
    Thing.objects.filter(pk__in=Thing.objects.values("pk")[:4]).update(room=None)  # "No room"
    # Shared with a second account of the household: shown once, as the owner's; a device
    # shared by someone outside the household is shown.
    last = Thing.objects.order_by("-pk").first()
    assert last is not None
    other = LinkedAccountFactory(household=owner.household)
    shared = {"household": owner.household, "account": other, "home": last.home,
              "room": last.room, "item_type": 2, "uiid": 1}  # fmt: skip
    Thing.objects.create(**shared, cloud_id=last.cloud_id, name="Copy of the last")
    Thing.objects.create(**shared, cloud_id="neighbours", name="Neighbour's lamp")
    page = _get(owner, HOME).content.decode()
    whole = _get(owner, HOME, all="1").content.decode()
    everything = _things(whole)
    assert len(everything) == made.things + 1
    assert "Neighbour&#x27;s lamp" in whole
    assert "Copy of the last" not in whole

    drawn = _things(page)
    urls = _lazy_urls(page)
    assert EAGER_CARDS <= len(drawn) < len(everything)
    assert urls, "later rooms are left to scroll to"
    assert 'hx-trigger="revealed"' in page
    fragments = [_get(owner, url).content.decode() for url in urls]
    assert drawn + [pk for f in fragments for pk in _things(f)] == everything
    for fragment in fragments:
        assert "<html" not in fragment
        assert fragment.startswith('<div class="cards">')
    # The same cards, drawn alike (last updates long enough ago that no word changes meanwhile).
    Thing.objects.update(last_update_at=timezone.now() - timedelta(days=3, minutes=30))
    whole = _get(owner, HOME, all="1").content.decode()
    page = _get(owner, HOME).content.decode()
    drawn_cards = _articles(page) + [
        a for url in urls for a in _articles(_get(owner, url).content.decode())
    ]
    assert drawn_cards == _articles(whole)
    # Each placeholder names its room's count and links to it for browsers without scripts.
    counts = [int(n) for n in re.findall(r">Show the (\d+) things? in ", page)]
    assert counts == [len(_things(f)) for f in fragments]
    assert "?room=" in page


def test_a_lazy_rooms_link_without_scripts_shows_that_room(owner, unscoped):
    make_household(owner.household, 150, seed=41)
    page = _get(owner, HOME).content.decode()
    link = re.findall(r'<a href="([^"]*\?room=\d+)">Show the', page)[-1]
    room_page = owner.client.get(unescape(link)).content.decode()
    room_id = int(link.rsplit("=", 1)[1])
    expected = Thing.objects.filter(room_id=room_id, hidden=False).count()
    assert len(_things(room_page)) == expected > 0
    assert 'hx-get="' not in room_page


def test_room_fragment_refuses_bad_ids_in_words(owner):
    for params in ({}, {"home": "1"}, {"home": "x", "room": ""}, {"home": "-1", "room": ""}):
        response = owner.client.get(ROOM_CARDS, params)
        assert response.status_code == 400
        assert b"Give home and room as ids" in response.content


def test_room_fragment_of_another_household_is_a_404(owner, outsider, unscoped):
    account = LinkedAccountFactory(household=owner.household)
    home = Home.objects.create(household=owner.household, account=account, cloud_id="h", name="H")
    room = Room.objects.create(household=owner.household, home=home, cloud_id="r", name="Den")
    Thing.objects.create(household=owner.household, account=account, home=home, room=room,
                         item_type=1, cloud_id="d", name="Secret lamp", uiid=1)  # fmt: skip
    asks = [{"home": str(home.pk), "room": str(room.pk)}, {"home": str(home.pk), "room": ""},
            {"home": "", "room": str(room.pk)}]  # fmt: skip
    for params in asks:
        response = outsider.client.get(ROOM_CARDS, params)
        assert response.status_code == 404
        assert b"Secret lamp" not in response.content
    assert b"Secret lamp" in owner.client.get(ROOM_CARDS, asks[0]).content


def test_a_room_asked_for_by_a_page_that_lost_its_access_reloads_the_page(owner, client):
    """Signed out elsewhere: htmx reloads the page (to sign-in) instead of showing the sign-in
    page inside a room; a plain request is sent to sign in as any page."""
    params = {"home": "", "room": ""}
    response = client.get(ROOM_CARDS, params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    assert response.content == b""
    response = client.get(ROOM_CARDS, params)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
