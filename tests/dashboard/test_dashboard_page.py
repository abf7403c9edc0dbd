import pytest
from django.urls import reverse

from devices.models import Home, Room, Thing
from tests.factories import LinkedAccountFactory


def _home_with_things(household):
    account = LinkedAccountFactory(household=household)
    home = Home.objects.create(household=household, account=account, cloud_id="h", name="Flat")
    kitchen = Room.objects.create(household=household, home=home, cloud_id="k", name="Kitchen")
    hall = Room.objects.create(household=household, home=home, cloud_id="h2", name="Hall")
    common = {"household": household, "account": account, "home": home, "item_type": 1}
    Thing.objects.create(
        **common, room=kitchen, cloud_id="1", name="Kettle plug", uiid=1, params={"switch": "on"}
    )
    Thing.objects.create(
        **common, room=hall, cloud_id="2", name="Hall sensor", uiid=1770,
        params={"temperature": "2150", "humidity": "4800"},
    )  # fmt: skip
    Thing.objects.create(
        **common, room=hall, cloud_id="3", name="Mystery box", uiid=99999, params={"foo": 1}
    )
    Thing.objects.create(**common, cloud_id="4", name="Secret", uiid=1, hidden=True)
    return kitchen


def test_dashboard_lists_homes_rooms_and_cards(owner, unscoped):
    _home_with_things(owner.household)
    page = owner.client.get(reverse("dashboard:home")).content.decode()
    for text in ("Flat", "Kitchen", "Hall", "Kettle plug", "Hall sensor", "21.5", "Mystery box"):
        assert text in page
    assert "Secret" not in page
    assert 'data-thing="' in page


def test_room_filter(owner, unscoped):
    kitchen = _home_with_things(owner.household)
    page = owner.client.get(reverse("dashboard:home"), {"room": kitchen.pk}).content.decode()
    assert "Kettle plug" in page
    assert "Hall sensor" not in page


def test_outsider_sees_none_of_our_things(owner, outsider, unscoped):
    _home_with_things(owner.household)
    page = outsider.client.get(reverse("dashboard:home")).content.decode()
    assert "Kettle plug" not in page
    assert "Link an eWeLink account" in page


@pytest.mark.parametrize("name", ["dashboard:home", "dashboard:wall", "dashboard:room_cards"])
def test_pages_that_only_show_refuse_a_post(name, owner, unscoped):
    """A POST to a page that changes nothing is a 405 naming GET, not the page drawn again."""
    response = owner.client.post(reverse(name))
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert owner.client.get(reverse("dashboard:home")).status_code == 200
