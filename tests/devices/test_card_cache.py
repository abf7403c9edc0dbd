"""The dashboard's card cache: a cached card is the card a full rendering draws, and whatever a
card shows, changed, shows on the next page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bench.scale.household import make_household
from dashboard.when import in_words
from devices import card_cache
from devices.card_cache import CardCache, CardParts
from devices.models import Home, Room, Thing
from devices.presentation import card_for, clear_caches, dashboard_sections
from tests.factories import LinkedAccountFactory

# Three days and a half hour ago: "3 days ago" for the next half hour, whatever minute it is,
# so two renderings a moment apart draw the same words.
SETTLED = timedelta(days=3, minutes=30)


@pytest.fixture(autouse=True)
def _cold() -> Iterator[None]:
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def flat(owner, unscoped) -> dict[str, Thing]:
    household = owner.household
    account = LinkedAccountFactory(household=household)
    home = Home.objects.create(household=household, account=account, cloud_id="h", name="Flat")
    kitchen = Room.objects.create(household=household, home=home, cloud_id="k", name="Kitchen")
    Room.objects.create(household=household, home=home, cloud_id="b", name="Bedroom", index=1)
    common = {"household": household, "account": account, "home": home, "item_type": 1,
              "online": True, "last_update_at": timezone.now() - SETTLED}  # fmt: skip
    specs = {
        "plug": ("Kettle plug", 1, {"switch": "off"}),
        "gang": ("Worktop", 2, {"switches": [{"switch": "on", "outlet": 0},
                                             {"switch": "off", "outlet": 1}]}),
        "door": ("Back door", 102, {"switch": "off", "battery": "2.9"}),
        "meter": ("Fridge", 32, {"switch": "on", "power": "85.50", "voltage": "231.00"}),
    }  # fmt: skip
    return {
        key: Thing.objects.create(
            **common, room=kitchen, cloud_id=key, name=name, uiid=uiid, params=params
        )
        for key, (name, uiid, params) in specs.items()
    }


def _page(persona) -> str:
    """The page's main part (CSRF tokens are masked anew each time: left out), without
    the moment it was drawn (data-since: what its socket asks to be brought up to date from)."""
    response = persona.client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    main = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main)  # All on/off forms
    return re.sub(r'data-since="[^"]*"', 'data-since=""', main)


def _card(page: str, thing: Thing) -> str:
    found = re.search(rf'<article [^>]*data-thing="{thing.pk}".*?</article>', page, re.S)
    assert found, f"no card for {thing.name}"
    return found.group(0)


def _rooms(page: str) -> dict[str, list[str]]:
    """Room title → the data-thing ids of its cards, in page order."""
    sections = re.findall(r'class="room__title">([^<]*)</h3>(.*?)</section>', page, re.S)
    return {title: re.findall(r'data-thing="(\d+)"', body) for title, body in sections}


def test_a_cached_page_is_the_page_drawn_without_the_cache(owner, flat):
    cold = _page(owner)
    assert len(card_cache.cards) == len(flat)
    warm = _page(owner)
    assert warm == cold
    clear_caches()
    assert _page(owner) == cold


def test_every_kind_of_card_from_the_cache_is_its_full_rendering(owner, unscoped):
    """A household of every plugin's things (cloudsim's devices through the sync)."""
    make_household(owner.household, 80, seed=5)
    now = timezone.now()
    Thing.objects.update(last_update_at=now - SETTLED)
    Thing.objects.filter(pk__in=Thing.objects.values("pk")[:3]).update(last_update_at=None)
    cards = [c for h in dashboard_sections(eager_cards=None) for r in h.rooms for c in r.cards]
    assert len({c.plugin.key for c in cards}) >= 15, "the mix covers the plugins"
    for card in cards:
        full = card_for(card.thing).render()
        assert card.render() == full, f"cold: {card.plugin.key}"
        assert card.render() == full, f"warm: {card.plugin.key}"


def test_the_time_is_not_kept_but_drawn_on_each_page(owner, flat):
    page = _page(owner)
    words = in_words(flat["plug"].last_update_at, relative=False)  # e.g. "Mon 14:02"
    assert f"updated {words}</time>" in _card(page, flat["plug"])
    entries = list(card_cache.cards._cards.values())
    assert entries
    for parts in entries:  # "today" would turn false at midnight: the status line is drawn anew
        assert "data-card-status" not in parts.before + parts.after
        assert "updated " not in parts.before + parts.after


def _rename(things: dict[str, Thing]) -> str:
    things["plug"].name = "Toaster plug"
    things["plug"].save()
    return "Toaster plug"


def _switch_on(things: dict[str, Thing]) -> str:
    things["plug"].params = {"switch": "on"}
    things["plug"].save()
    return 'aria-pressed="true">Power<'


def _go_offline(things: dict[str, Thing]) -> str:
    things["plug"].online = False
    things["plug"].save()
    return ">Offline</span>"


def _move(things: dict[str, Thing]) -> str:
    things["plug"].room = Room.objects.get(name="Bedroom")
    things["plug"].save()
    return '<p class="card__room">Bedroom</p>'


def _rename_room(things: dict[str, Thing]) -> str:
    Room.objects.filter(name="Kitchen").update(name="Scullery")
    return '<p class="card__room">Scullery</p>'


def _name_a_channel(things: dict[str, Thing]) -> str:
    things["gang"].tags = {"ck_channel_name": {"0": "Left lamp", "1": "Right lamp"}}
    things["gang"].save()
    return ">Left lamp<"


def _new_reading(things: dict[str, Thing]) -> str:
    things["meter"].params = {**things["meter"].params, "power": "1234.00"}
    things["meter"].save()
    return ">1234<"


def _update_later(things: dict[str, Thing]) -> str:
    """A new last update, even with the same state, is a new time on the card."""
    later = timezone.now() - timedelta(days=1, minutes=30)
    things["plug"].last_update_at = later
    things["plug"].save()
    return f"updated {in_words(later, relative=False)}</time>"  # "yesterday 13:32"


CHANGES: dict[str, tuple[Callable[[dict[str, Thing]], str], str]] = {
    "rename": (_rename, "plug"),
    "state": (_switch_on, "plug"),
    "online": (_go_offline, "plug"),
    "room move": (_move, "plug"),
    "room rename": (_rename_room, "plug"),
    "channel name": (_name_a_channel, "gang"),
    "reading": (_new_reading, "meter"),
    "last update": (_update_later, "plug"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_what_a_card_shows_changed_shows_on_the_next_page(owner, flat, change):
    apply, key = CHANGES[change]
    before = _card(_page(owner), flat[key])
    _page(owner)  # every card cached
    expected = apply(flat)

    after_page = _page(owner)
    after = _card(after_page, flat[key])
    assert after != before
    assert expected in after
    clear_caches()
    assert _page(owner) == after_page, "as drawn without the cache"


def test_a_moved_thing_is_drawn_in_its_new_room(owner, flat):
    _page(owner)
    _move(flat)
    rooms = _rooms(_page(owner))
    assert str(flat["plug"].pk) in rooms["Bedroom"]
    assert str(flat["plug"].pk) not in rooms["Kitchen"]


def test_the_cache_forgets_the_least_recently_used_card() -> None:
    cache = CardCache(max_cards=2)
    parts = CardParts("<article>", "</article>")
    cache.put(b"a", parts)
    cache.put(b"b", parts)
    assert cache.get(b"a") == parts  # now the most recent
    cache.put(b"c", parts)
    assert cache.get(b"b") is None
    assert cache.get(b"a") == parts
    assert cache.get(b"c") == parts
    assert len(cache) == 2
