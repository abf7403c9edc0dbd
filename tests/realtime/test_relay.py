"""What accounts announces reaches the household's pages (accounts never imports realtime)."""

import pytest
from asgiref.sync import sync_to_async

from accounts.notifications import notify
from tests.realtime.conftest import listen

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_notification_reaches_the_households_pages(owner, redis_url):
    listener = await listen(owner.household.pk)
    await sync_to_async(notify)(owner.household.pk, "firmware", "New firmware for Kitchen light")
    frame = await listener.next("notification", timeout=5)
    assert (frame["title"], frame["unread"]) == ("New firmware for Kitchen light", 1)
