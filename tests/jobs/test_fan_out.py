"""Fan-out tasks: one run per active account, each queued with an expiry below its interval."""

from __future__ import annotations

import pytest
from django.conf import settings
from django_scopes import scopes_disabled

from accounts.models import JobKind, LinkStatus, TaskRun
from devices.models import Thing
from jobs import registry
from jobs.tasks import fan_out, start_new_accounts
from tests.factories import LinkedAccountFactory

JOBS = sorted(JobKind.values)


@pytest.mark.integration
@pytest.mark.parametrize("job", JOBS)
def test_each_fan_out_runs_its_job_for_every_active_account_only(job, link, owner, eager):
    active = link()
    LinkedAccountFactory(household=owner.household, status=LinkStatus.NEEDS_RELINK)

    assert fan_out.apply(args=[job]).get() == 1

    with scopes_disabled():
        runs = list(TaskRun.objects.filter(task=job))
    assert [(run.account_id, run.ok) for run in runs] == [(active.pk, True)]


@pytest.mark.integration
def test_the_full_sync_job_brings_new_devices_in(link, cloud, eager, unscoped):
    account = link()
    family = next(a for a in cloud.control("GET", "/accounts") if a["apikey"] == account.apikey)
    cloud.control(
        "POST",
        "/devices",
        {
            "owner": account.apikey,
            "uiid": 1,
            "name": "New lamp",
            "familyid": family["currentFamilyId"],
        },
    )

    fan_out.apply(args=[JobKind.RECONCILE]).get()

    assert Thing.objects.filter(account=account, name="New lamp").exists()


@pytest.mark.parametrize("job", JOBS)
def test_queued_runs_expire_before_the_next_one_is_due(job, monkeypatch, db):
    account = LinkedAccountFactory()
    queued: list[dict] = []
    monkeypatch.setattr(
        registry.task_for(job),
        "apply_async",
        lambda args, **options: queued.append({"args": args, **options}),
    )

    fan_out.apply(args=[job]).get()

    assert queued == [{"args": [account.pk], "expires": settings.JOB_EXPIRES[job]}]
    assert 0 < queued[0]["expires"] < settings.JOB_INTERVALS[job].total_seconds()


@pytest.mark.integration
def test_a_new_account_runs_every_job_within_a_minute_then_only_on_schedule(
    link, owner, eager, unscoped
):
    from devices.models import FirmwareUpdate, HistoryEntry

    account = link()
    LinkedAccountFactory(household=owner.household, status=LinkStatus.NEEDS_RELINK)

    assert start_new_accounts.apply().get() == len(JOBS)  # the active account only

    runs = {run.task: run.ok for run in TaskRun.objects.filter(account=account)}
    assert runs == dict.fromkeys(JOBS, True)
    assert FirmwareUpdate.objects.filter(thing__account=account).exists()
    assert HistoryEntry.objects.filter(thing__account=account).exists()
    assert start_new_accounts.apply().get() == 0  # nothing is started twice
