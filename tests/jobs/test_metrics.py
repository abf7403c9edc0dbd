"""Job runs and cloud calls are counted: real jobs against cloudsim, real governor rules."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import ewelink
from accounts import cloud_metrics
from accounts.governor import RedisGovernor, budget_left
from accounts.models import JobKind, LinkStatus
from devices.tasks import sync_history_for_account
from ewelink import telemetry
from jobs.locks import account_lock
from tests.ops.samples import sample

from .conftest import EU, calls

pytestmark = pytest.mark.integration
JOB = JobKind.SYNC_HISTORY.value


@pytest.fixture(autouse=True)
def _hooks():
    """The process's hooks as AccountsConfig installs them (a test may replace them)."""
    cloud_metrics.install()
    yield
    cloud_metrics.install()


def test_a_job_run_is_counted_by_outcome_and_timed(link, cloud, unscoped):
    account = link(EU)
    runs, timed = (
        sample("dashboard_job_runs_total", job=JOB, outcome="ok"),
        sample("dashboard_job_duration_seconds_count", job=JOB),
    )
    history_calls = sample("dashboard_cloud_calls_total", interface="/v2/device/history")

    sync_history_for_account.apply(args=[account.pk]).get()

    assert sample("dashboard_job_runs_total", job=JOB, outcome="ok") == runs + 1
    assert sample("dashboard_job_duration_seconds_count", job=JOB) == timed + 1
    made = calls(cloud, "GET /v2/device/history")
    assert made > 0
    # Every call cloudsim answered was counted by the client's hook, by interface.
    assert (
        sample("dashboard_cloud_calls_total", interface="/v2/device/history")
        == history_calls + made
    )


def test_skipped_runs_are_counted_as_skipped(link, cloud, unscoped):
    account = link(EU)
    skipped = sample("dashboard_job_runs_total", job=JOB, outcome="skipped")
    held = account_lock(account.pk, JobKind.RECONCILE)
    assert held.acquire()
    try:
        sync_history_for_account.apply(args=[account.pk])
    finally:
        held.release()
    assert sample("dashboard_job_runs_total", job=JOB, outcome="skipped") > skipped

    account.status = LinkStatus.DISABLED
    account.save()
    before = sample("dashboard_job_runs_total", job=JOB, outcome="skipped")
    sync_history_for_account.apply(args=[account.pk]).get()
    assert sample("dashboard_job_runs_total", job=JOB, outcome="skipped") == before + 1


async def test_a_cloud_error_is_counted_by_its_code(cloud):
    from accounts.cloud import open_client

    errors = sample("dashboard_cloud_errors_total", code="10003", via="rest")
    async with open_client(region="eu") as client:
        with pytest.raises(ewelink.EWeLinkError) as refused:
            await client.login(email="nobody@example.com", password="wrong", country_code="+44")
    assert refused.value.code == 10003  # no such user
    assert sample("dashboard_cloud_errors_total", code="10003", via="rest") == errors + 1


async def test_the_shared_governor_reports_refusals_and_its_budget_from_redis(redis_url):
    prefix = f"test:{uuid.uuid4().hex}"
    governor = RedisGovernor(
        redis_url, prefix=prefix, min_interval=0, window=0.5, window_limit=10, key_window_limit=2
    )
    refused = sample("dashboard_governor_refused_total", interface="/c")
    assert budget_left(governor) == 10
    await governor.acquire("/a", "greedy")
    await governor.acquire("/b", "greedy")
    assert budget_left(governor) == 8
    await governor.acquire("/c", "greedy")  # over its share: turned away until the window moves
    assert sample("dashboard_governor_refused_total", interface="/c") > refused
    assert budget_left(RedisGovernor("redis://127.0.0.1:1/0", prefix=prefix)) is None


def test_the_governor_reports_waits_and_refusals_through_its_hooks():
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    paced: list[tuple[str, float]] = []
    refused: list[str] = []
    telemetry.set_hooks(
        telemetry.Hooks(paced=lambda i, w: paced.append((i, w)), refused=refused.append)
    )
    governor = ewelink.Governor(key_window_limit=2, clock=lambda: now[0], sleep=sleep)

    async def three_calls() -> None:
        for _ in range(3):
            await governor.acquire("/v2/device/thing", "account-a")

    asyncio.run(three_calls())

    assert [interface for interface, _ in paced] == ["/v2/device/thing"] * 3
    assert paced[0][1] == 0.0  # the first went at once
    assert paced[1][1] == pytest.approx(0.55)  # the next waited for the interface's spacing
    # The third found the account's share of the window used: turned away, then let through.
    assert refused
    assert set(refused) == {"/v2/device/thing"}
    assert paced[2][1] > 290


def test_hook_counters_and_budget_are_exported():
    cloud_metrics.count_call("/v2/family", 0)
    cloud_metrics.count_call("/v2/family", None)
    cloud_metrics.count_paced("/v2/family", 1.5)
    cloud_metrics.count_refused("/v2/family")
    assert sample("dashboard_cloud_errors_total", code="network", via="rest") >= 1
    assert sample("dashboard_governor_waits_total", interface="/v2/family") >= 1
    assert sample("dashboard_governor_wait_seconds_total") >= 1.5
    assert sample("dashboard_governor_refused_total", interface="/v2/family") >= 1


def test_a_broken_hook_never_fails_the_call():
    def broken(*args: object) -> None:
        raise RuntimeError("the host's counter broke")

    telemetry.set_hooks(telemetry.Hooks(call=broken, paced=broken, refused=broken))
    telemetry.report_call("/v2/family", 0)
    telemetry.report_paced("/v2/family", 0.0)
    telemetry.report_refused("/v2/family")
