"""A realtime worker running in the test's event loop against cloudsim and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

import ewelink
from accounts import linking
from accounts.models import LinkedAccount
from devices.sync import sync_account
from realtime import redis as keys
from realtime.events import household_group
from realtime.worker.supervisor import Worker
from tests.fixtures.cloud import DEMO

if TYPE_CHECKING:
    from tests.fixtures.sockets import PageSocket


@pytest.fixture
async def clean_redis(redis_url: str) -> AsyncIterator[None]:
    """No realtime keys before the test, and none left after it: a lease a test leaves (the
    lease tests take thousands) would send a later test's control to a worker that is gone."""
    redis = keys.client()

    async def clean() -> None:
        stale = [key async for key in redis.scan_iter(f"{keys.PREFIX}:*")]
        if stale:
            await redis.delete(*stale)

    await clean()
    yield
    await clean()


async def link(persona: Any, email: str) -> LinkedAccount:
    demo = DEMO[email]

    def run() -> LinkedAccount:
        account = linking.link_with_password(
            persona.membership, identifier=email, password=demo["password"],
            country_code=demo["country_code"], label=email,
        )  # fmt: skip
        sync_account(account.pk)
        account.refresh_from_db()
        return account

    return await sync_to_async(run)()


class Listener:
    """A page-like subscriber of a household's group."""

    def __init__(self, layer: Any, channel: str) -> None:
        self.layer = layer
        self.channel = channel

    async def next(
        self,
        kind: str,
        timeout: float = 10.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
        **match: Any,
    ) -> dict[str, Any]:
        """The next payload of `kind` whose keys equal `match` and for which `where` holds."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.layer.receive(self.channel)
                payload = message.get("payload", message)
                if (
                    payload.get("type") == kind
                    and all(payload.get(k) == v for k, v in match.items())
                    and (where is None or where(payload))
                ):
                    return payload


async def listen(household_id: int) -> Listener:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(household_group(household_id), channel)
    return Listener(layer, channel)


@pytest.fixture
async def worker(clean_redis: None, cloud: Any) -> AsyncIterator[Worker]:
    # Quick reconnects keep the tests short; the production backoff is tested in tests/ewelink.
    backoff = ewelink.Backoff(low=0.2, high=0.5, cap=2.0)
    worker = Worker(poll_interval=0.2, flush_interval=0.1, session_options={"backoff": backoff})
    task = asyncio.create_task(worker.run())
    yield worker
    worker.stop()
    await asyncio.wait_for(task, 20)


async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.05)


async def page_socket(client: Any, query: str = "") -> PageSocket:
    """The page websocket of a signed-in test Client, connected (as a browser opens it);
    `query` says which page it serves and what it shows ("view=dashboard&since=…")."""
    from tests.fixtures.sockets import PageSocket  # imports the ASGI app: only when used

    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    path = f"/ws/household/?{query}" if query else "/ws/household/"
    page = PageSocket(path, headers)
    connected, _ = await page.connect()
    assert connected
    return page
