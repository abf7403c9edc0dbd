"""Fixtures for the eWeLink client tests: a quiet governor and an aiohttp session."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from cloudsim.testing import InProcessCloudsim, serve_in_process
from ewelink import EWeLinkClient, Tokens
from ewelink.governor import Governor, default_governor, set_default_governor
from ewelink.regions import Region


@pytest.fixture(autouse=True)
def quiet_governor() -> Iterator[Governor]:
    """Tests must not wait 500 ms per call: a counting governor that never sleeps."""
    previous = default_governor()
    governor = Governor(enabled=False)
    set_default_governor(governor)
    yield governor
    set_default_governor(previous)


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# -- cloudsim (in-process, real sockets) ----------------------------------------------------

_emails = itertools.count(1)


@pytest.fixture
async def sim() -> AsyncIterator[InProcessCloudsim]:
    """An empty cloudsim in this test's event loop."""
    async with serve_in_process() as running:
        yield running


@dataclass
class SimAccount:
    """An account created through the control API, and how to log in to it."""

    apikey: str
    email: str
    password: str
    region: Region
    country_code: str
    raw: dict[str, Any] = field(default_factory=dict)


async def new_account(
    sim: InProcessCloudsim, region: Region = "eu", country_code: str = "+44"
) -> SimAccount:
    email = f"user{next(_emails)}@example.com"
    password = "pw-" + email
    raw = await sim.acontrol(
        "POST",
        "/accounts",
        {"region": region, "email": email, "password": password, "countryCode": country_code},
    )
    return SimAccount(raw["apikey"], email, password, region, country_code, raw)


class ClientFactory:
    """Builds clients bound to one cloudsim and records every token handed to on_tokens."""

    def __init__(self, sim: InProcessCloudsim, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.saved: list[Tokens] = []

    def __call__(self, tokens: Tokens | None = None, **options: Any) -> EWeLinkClient:
        return EWeLinkClient(
            self.session,
            app_id=self.sim.appid,
            app_secret=self.sim.secret,
            base_url_template=self.sim.api_template,
            tokens=tokens,
            on_tokens=self.saved.append,
            **options,
        )

    async def logged_in(self, account: SimAccount, **options: Any) -> EWeLinkClient:
        client = self(**options)
        await client.login(
            email=account.email, password=account.password, country_code=account.country_code
        )
        return client


@pytest.fixture
def make_client(sim: InProcessCloudsim, http_session: aiohttp.ClientSession) -> ClientFactory:
    return ClientFactory(sim, http_session)
