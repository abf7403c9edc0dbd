"""The household's time zone: who may set it, what it accepts, and that pages follow it."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Household, Notification, NotificationKind
from accounts.notifications import notify
from devices.models import Home, Thing
from tests.factories import HouseholdFactory, LinkedAccountFactory

URL = reverse("accounts:household_time_zone")
KATHMANDU = "Asia/Kathmandu"  # +05:45: no other zone shares its minutes


def zone_of(household: Household) -> str:
    household.refresh_from_db()
    return household.time_zone


def messages_of(response, level: int) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request) if m.level == level]


@override_settings(TIME_ZONE="Europe/Paris")
def test_a_new_household_starts_in_the_sites_zone(db) -> None:
    assert HouseholdFactory().time_zone == "Europe/Paris"


def test_only_known_zones_are_valid(db) -> None:
    household = HouseholdFactory(time_zone=KATHMANDU)
    household.full_clean()
    for wrong in ("Mars/Olympus_Mons", "", "../../etc/passwd", "localtime"):
        household.time_zone = wrong
        with pytest.raises(ValidationError, match="time_zone"):
            household.full_clean()


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_owners_and_admins_change_it(who, household, request) -> None:
    persona = request.getfixturevalue(who)
    page = persona.client.get(reverse("accounts:household")).content.decode()
    assert f'action="{URL}"' in page
    assert 'name="time_zone"' in page

    response = persona.client.post(URL, {"time_zone": KATHMANDU})

    assert response.status_code == 302
    assert zone_of(household) == KATHMANDU
    assert messages_of(response, SUCCESS) == ["Times are now shown in Asia/Kathmandu."]
    page = persona.client.get(reverse("accounts:household")).content.decode()
    assert f'<option value="{KATHMANDU}" selected>' in page


@pytest.mark.parametrize("who", ["member", "guest"])
def test_members_and_guests_see_it_but_cannot_change_it(who, household, request) -> None:
    persona = request.getfixturevalue(who)
    page = persona.client.get(reverse("accounts:household")).content.decode()
    assert 'name="time_zone"' not in page
    assert f'action="{URL}"' not in page
    assert "Times are shown in <strong data-time-zone>UTC</strong>" in page

    response = persona.client.post(URL, {"time_zone": KATHMANDU})

    assert response.status_code == 403
    assert "This needs the admin role or higher." in response.content.decode()
    assert zone_of(household) == "UTC"


@pytest.mark.parametrize(
    ("wrong", "said"),
    [("Mars/Olympus_Mons", "“Mars/Olympus_Mons” is not a time zone."), ("", "Choose a time zone.")],
)
def test_a_wrong_zone_is_refused_in_words(owner, household, wrong, said) -> None:
    response = owner.client.post(URL, {"time_zone": wrong})
    assert response.status_code == 302
    assert messages_of(response, ERROR) == [said]
    assert zone_of(household) == "UTC"


def test_it_changes_only_the_own_household(owner, outsider, household) -> None:
    owner.client.post(URL, {"time_zone": KATHMANDU})
    assert zone_of(outsider.membership.household) == "UTC"
    outsider.client.post(URL, {"time_zone": "America/New_York"})
    assert zone_of(household) == KATHMANDU


def test_a_get_is_not_allowed(owner) -> None:
    assert owner.client.get(URL).status_code == 405


def test_notification_times_follow_the_zone(owner, household, unscoped) -> None:
    note = notify(household.pk, NotificationKind.FIRMWARE, "New firmware")
    moment = timezone.now() - timedelta(hours=3)
    Notification.objects.filter(pk=note.pk).update(created_at=moment)
    page_url = reverse("accounts:notifications")

    assert f">{in_zone(moment, 'UTC')}</time>" in owner.client.get(page_url).content.decode()
    owner.client.post(URL, {"time_zone": KATHMANDU})
    page = owner.client.get(page_url).content.decode()
    assert f">{in_zone(moment, KATHMANDU)}</time>" in page

    fresh = notify(household.pk, NotificationKind.FIRMWARE, "Newer firmware")
    four_minutes_ago = timezone.now() - timedelta(minutes=4)
    Notification.objects.filter(pk=fresh.pk).update(created_at=four_minutes_ago)
    assert ">4 min ago</time>" in owner.client.get(page_url).content.decode()


def test_dashboard_times_follow_the_zone(owner, household, unscoped) -> None:
    account = LinkedAccountFactory(household=household)
    home = Home.objects.create(household=household, account=account, cloud_id="h", name="Flat")
    moment = timezone.now() - timedelta(hours=2)
    Thing.objects.create(
        household=household, account=account, home=home, item_type=1, cloud_id="d1",
        name="Front door", uiid=3026, online=True, last_update_at=moment,
        params={"lock": 1, "trigTime": str(int(moment.timestamp() * 1000))},
    )  # fmt: skip
    owner.client.post(URL, {"time_zone": KATHMANDU})

    page = owner.client.get(reverse("dashboard:home")).content.decode()

    local = in_zone(moment, KATHMANDU)
    assert f'">{local}</time></p>' in page, "the sensor's last event, in the household's zone"
    assert f">updated {local}</time>" in page, "the card header"
    card = page.split("Front door", 1)[1].split("</article>", 1)[0]
    assert "Last event" in card
    assert not re.search(r"\d{4}-\d\d-\d\dT", re.sub(r"<[^>]*>", "", card)), "no ISO text"


def in_zone(moment, zone: str) -> str:
    """What a person in `zone` reads for a moment over an hour ago (today or yesterday)."""
    local, today = moment.astimezone(ZoneInfo(zone)), timezone.now().astimezone(ZoneInfo(zone))
    day = "today" if local.date() == today.date() else "yesterday"
    return f"{day} {local:%H:%M}"
