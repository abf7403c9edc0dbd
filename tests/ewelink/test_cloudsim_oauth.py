"""OAuth linking against cloudsim: the authorization page, code exchange, unlink."""

from __future__ import annotations

import time

import aiohttp
import pytest

from cloudsim.testing import InProcessCloudsim
from ewelink import AuthError, NotFoundError
from tests.ewelink.conftest import ClientFactory, new_account
from tests.waiting import async_until

pytestmark = pytest.mark.integration

REDIRECT = "https://dashboard.example/link/callback"


async def test_authorization_url_is_accepted_by_the_page(
    sim: InProcessCloudsim, make_client: ClientFactory, http_session: aiohttp.ClientSession
) -> None:
    client = make_client()
    url = client.authorization_url(REDIRECT, "state-1")
    assert url.startswith(sim.info["oauth_page"] + "?")
    async with http_session.get(url) as response:
        assert response.status == 200
        assert "verification failed" not in await response.text()
    broken = url.replace("authorization=", "authorization=x")
    async with http_session.get(broken) as response:
        assert response.status == 400


async def test_code_exchange_then_unlink(
    sim: InProcessCloudsim, make_client: ClientFactory
) -> None:
    account = await new_account(sim, region="us", country_code="+1")
    grant = await sim.acontrol(
        "POST",
        "/oauth/code",
        {"apikey": account.apikey, "appid": sim.appid, "redirectUrl": REDIRECT, "state": "s"},
    )
    assert grant["region"] == "us"
    client = make_client()  # starts in eu: the exchange must go to the redirect's region
    tokens = await client.exchange_oauth_code(
        grant["code"], redirect_url=REDIRECT, region=grant["region"]
    )
    assert tokens.region == "us"
    assert tokens.apikey == account.apikey
    assert tokens.at_expires_ms is not None
    assert tokens.rt_expires_ms is not None
    assert make_client.saved[-1] == tokens
    assert (await client.get_profile()).apikey == account.apikey
    with pytest.raises(NotFoundError):  # codes are single use
        await client.exchange_oauth_code(grant["code"], redirect_url=REDIRECT, region="us")
    await client.unlink()
    with pytest.raises(AuthError):
        await client.get_profile()


async def test_expired_code_is_rejected(sim: InProcessCloudsim, make_client: ClientFactory) -> None:
    account = await new_account(sim)
    await sim.acontrol("POST", "/settings", {"oauth_code_ttl": 0.05})
    grant = await sim.acontrol(
        "POST", "/oauth/code", {"apikey": account.apikey, "redirectUrl": REDIRECT, "state": "s"}
    )
    issued_by = time.time()
    # Trying a code uses it up, so wait until the clock is surely past the code's lifetime.
    await async_until(lambda: time.time() > issued_by + 0.05, what="the code's lifetime to pass")
    with pytest.raises(NotFoundError) as caught:
        await make_client().exchange_oauth_code(
            grant["code"], redirect_url=REDIRECT, region=grant["region"]
        )
    assert caught.value.code == 405
