"""Which Celery task runs each per-account job: filled by the apps that own the jobs.

Each app registers its jobs in its own `tasks` module (`jobs.base.account_job` does it when it
makes the task): devices its firmware check, history, messages and full sync; jobs itself the
token refresh of accounts (accounts sits below jobs and cannot import it). Looking a job up
imports every installed app's `tasks` module first, as the admin finds `admin` modules, so a
web process that never loaded `devices.tasks` still finds the reconcile task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.module_loading import autodiscover_modules

from accounts.models import JobKind

if TYPE_CHECKING:
    from jobs.base import AccountTask

_tasks: dict[str, AccountTask] = {}
_discovered = False


class UnknownJob(LookupError):
    """No app registered a task for this job."""


def register(job: str, task: AccountTask) -> None:
    """Make `task` the one that runs `job` (a `JobKind` value) for an account."""
    if job not in JobKind.values:
        raise ValueError(f"{job!r} is not a JobKind: add it there first (TaskRun.task's choices)")
    current = _tasks.get(job)
    if current is not None and current.name != task.name:
        raise ValueError(f"job {job!r} is already run by {current.name}")
    _tasks[job] = task


def task_for(job: str) -> AccountTask:
    """The Celery task that runs `job` for one account."""
    _discover()
    try:
        return _tasks[job]
    except KeyError:
        raise UnknownJob(f"no task is registered for job {job!r}") from None


def registered() -> dict[str, AccountTask]:
    """Every registered job and its task."""
    _discover()
    return dict(_tasks)


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("tasks")
        _discovered = True
