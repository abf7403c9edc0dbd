"""The job registry: each app registers its own jobs, found without anyone naming them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import JobKind, LinkedAccount
from accounts.signals import job_requested
from accounts.syncing import SyncRequest, request_sync
from jobs import registry
from jobs.requests import queue_requested_job
from jobs.tasks import refresh_tokens_for_account

ROOT = Path(__file__).resolve().parents[2]


def test_every_job_kind_has_one_task_registered_by_the_app_that_owns_it():
    tasks = registry.registered()
    assert set(tasks) == set(JobKind.values)
    assert {job: task.name.split(".")[0] for job, task in tasks.items()} == {
        "refresh_tokens": "jobs",  # accounts' work; accounts cannot import jobs
        "check_firmware": "devices",
        "sync_history": "devices",
        "sync_messages": "devices",
        "reconcile": "devices",
    }
    assert all(task.job == job for job, task in tasks.items())


def test_a_job_is_registered_once_and_only_under_a_known_kind():
    with pytest.raises(ValueError, match=r"already run by jobs\.tasks\.refresh_tokens_for_account"):
        registry.register(JobKind.REFRESH_TOKENS, registry.task_for(JobKind.RECONCILE))
    with pytest.raises(ValueError, match="not a JobKind"):
        registry.register("defrost_fridge", refresh_tokens_for_account)
    with pytest.raises(registry.UnknownJob):
        registry.task_for("defrost_fridge")
    registry.register(JobKind.REFRESH_TOKENS, refresh_tokens_for_account)  # the same: fine


def test_a_process_that_never_imported_devices_tasks_finds_its_jobs():
    # As the web process: it queues the full sync without having loaded devices.tasks.
    probe = (
        "import sys; from jobs import registry; assert 'devices.tasks' not in sys.modules; "
        "print(registry.task_for('reconcile').name)"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", probe],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "devices.tasks.reconcile_account"


@pytest.mark.django_db(transaction=True)  # as in a view: no transaction, queued at once
def test_without_the_jobs_app_listening_a_sync_request_says_the_worker_is_unreachable(
    owner, unscoped
):
    from tests.factories import LinkedAccountFactory

    account = LinkedAccountFactory(household=owner.household)
    job_requested.disconnect(dispatch_uid="jobs.queue_requested_job")
    try:
        assert request_sync(account) == SyncRequest.UNAVAILABLE
    finally:
        job_requested.connect(queue_requested_job, dispatch_uid="jobs.queue_requested_job")
    assert not LinkedAccount.objects.get(pk=account.pk).syncing
