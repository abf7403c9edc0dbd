"""Reading how an account's background jobs went (the jobs app writes these rows).

`TaskRun` stays an accounts model: it belongs to the account (deleted and moved with it, shown
on its page) and accounts sits below jobs, so its pages read runs here, not through jobs.
"""

from __future__ import annotations

from django_scopes import scopes_disabled

from accounts.models import TaskRun


def runs_of(account_id: int) -> dict[str, TaskRun]:
    """The latest run of each job of an account, by job name."""
    with scopes_disabled():
        return {run.task: run for run in TaskRun.objects.filter(account_id=account_id)}
