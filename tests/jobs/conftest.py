"""Fixtures for the background-job tests: a still cloud, linked demo accounts, eager Celery."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_scopes import scopes_disabled

import accounts.cloud
from accounts import linking
from accounts.models import LinkedAccount, TaskRun
from cloudsim.testing import RunningCloudsim
from dashboard.celery import app as celery_app
from devices.sync import sync_account
from tests.fixtures.cloud import DEMO

EU, US, GUEST = "demo-eu@example.com", "demo-us@example.com", "demo-eu-guest@example.com"


@pytest.fixture
def jobs_redis(settings: Any, redis_url: str) -> str:
    """Job locks and the beat lease under a prefix of this test's own (Redis is shared)."""
    settings.JOBS_KEY_PREFIX = f"test-{uuid.uuid4().hex[:10]}:jobs"
    return redis_url


@pytest.fixture
def eager() -> Iterator[None]:
    """Fan-out tasks run their per-account tasks inline, in this process."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, False
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def link(owner: Any, cloud: RunningCloudsim, jobs_redis: str) -> Callable[..., LinkedAccount]:
    """Link a demo account to the owner's household and load its things."""

    def link_demo(email: str = EU) -> LinkedAccount:
        demo = DEMO[email]
        account = linking.link_with_password(
            owner.membership,
            identifier=email,
            password=demo["password"],
            country_code=demo["country_code"],
            label=email.split("@")[0],
        )
        sync_account(account.pk)
        return account

    return link_demo


def calls(cloud: RunningCloudsim, name: str) -> int:
    """How many times cloudsim answered one interface, e.g. "GET /v2/device/history"."""
    return int(cloud.control("GET", "/counters")["calls"].get(name, 0))


def task_run(account: LinkedAccount, job: str) -> TaskRun:
    with scopes_disabled():
        return TaskRun.objects.get(account=account, task=job)


def quick_clients(monkeypatch: pytest.MonkeyPatch, task: Any, timeout: float | None = None) -> None:
    """Cloud clients that do not retry on their own (and give up after `timeout` seconds a
    call when given), and `task` retried once: a fault shows in one run, not after minutes."""
    make = accounts.cloud.make_client

    def quick(*args: Any, **kwargs: Any) -> Any:
        client = make(*args, **kwargs)
        client.http.retries = 0
        if timeout is not None:
            client.http.timeout = timeout
        return client

    monkeypatch.setattr(accounts.cloud, "make_client", quick)
    monkeypatch.setattr(task, "max_retries", 1)
