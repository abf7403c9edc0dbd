"""The ASGI app end to end: browser websocket auth, origin check and household groups on Redis."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client

from realtime.consumers import CLOSE_UNAUTHENTICATED
from realtime.events import household_group
from tests.fixtures.sockets import PageSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis_url")]
ORIGIN = (b"origin", b"http://localhost")


def _communicator(cookie: str | None = None, origin: tuple[bytes, bytes] = ORIGIN):
    headers = [origin, (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return PageSocket("/ws/household/", headers)


async def _session_cookie(persona) -> str:
    client = Client()
    await sync_to_async(client.force_login)(persona.user)
    return client.cookies["sessionid"].value


async def test_anonymous_socket_is_refused():
    communicator = _communicator()
    connected, code = await communicator.connect()
    assert not connected
    assert code == CLOSE_UNAUTHENTICATED


async def test_foreign_origin_is_refused(owner):
    cookie = await _session_cookie(owner)
    communicator = _communicator(cookie, origin=(b"origin", b"http://evil.example"))
    connected, _ = await communicator.connect()
    assert not connected


async def test_member_joins_only_their_households_group(owner, outsider):
    mine = _communicator(await _session_cookie(owner))
    theirs = _communicator(await _session_cookie(outsider))
    assert (await mine.connect())[0]
    assert (await theirs.connect())[0]
    snapshot = await mine.receive_json_from()
    assert (snapshot["type"], snapshot["household"], snapshot["seq"]) == (
        "snapshot",
        owner.household.pk,
        1,
    )
    assert (await theirs.receive_json_from())["household"] == outsider.household.pk

    layer = get_channel_layer()
    event = {"type": "household.event", "payload": {"type": "thing", "id": 1}}
    await layer.group_send(household_group(owner.household.pk), event)
    assert await mine.receive_json_from(timeout=5) == {"type": "thing", "id": 1, "seq": 2}
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()
