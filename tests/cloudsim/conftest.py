"""Fixtures for the cloudsim tests: an in-process simulator and a raw client of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from cloudsim.testing import InProcessCloudsim, serve_in_process
from tests.cloudsim.simclient import Api, Cloud


@pytest.fixture
async def sim() -> AsyncIterator[InProcessCloudsim]:
    async with serve_in_process() as running:
        yield running


@pytest.fixture
async def cloud(sim: InProcessCloudsim) -> AsyncIterator[Cloud]:
    async with aiohttp.ClientSession() as session:
        yield Cloud(sim, Api(sim, session))
