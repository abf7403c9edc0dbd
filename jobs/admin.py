"""The accounts' background jobs in the admin: last runs inline, "run … now" actions.

"Run … now" queues the job for the Celery worker (the inline shows the outcome once it ran);
if the broker cannot be reached, it runs right here in the admin's request instead.
The linked-account admin of accounts is extended here, since accounts does not import jobs.
"""

import kombu.exceptions
from django.contrib import admin

from accounts.admin import LinkedAccountAdmin
from accounts.models import JobKind, LinkedAccount, TaskRun
from jobs import registry
from jobs.tasks import queue


class TaskRunInline(admin.TabularInline):
    model = TaskRun
    extra = 0
    can_delete = False
    fields = [
        "task",
        "ok",
        "skipped",
        "last_run_at",
        "last_ok_at",
        "result",
        "last_error",
        "last_error_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


def run_now(job: str, account_id: int) -> None:
    """Queue one job for one account right away."""
    queue(job, account_id)


def _run_job_action(job: JobKind):  # type: ignore[no-untyped-def]
    def action(modeladmin, request, queryset) -> None:  # type: ignore[no-untyped-def]
        queued, inline = 0, 0
        for account in queryset:
            try:
                run_now(job, account.pk)
                queued += 1
            except kombu.exceptions.OperationalError:
                registry.task_for(job).apply(args=[account.pk])
                inline += 1
        note = f" ({inline} run here: no broker)" if inline else ""
        modeladmin.message_user(request, f"{job.label}: {queued + inline} account(s){note}.")

    action.__name__ = f"run_{job.value}"
    return admin.action(description=f"Run {job.label.lower()} now")(action)


admin.site.unregister(LinkedAccount)


@admin.register(LinkedAccount)
class LinkedAccountJobsAdmin(LinkedAccountAdmin):
    """Linked accounts with their background jobs: last runs inline, "run now" actions."""

    list_display = [*LinkedAccountAdmin.list_display, "job_health"]
    inlines = [TaskRunInline]
    actions = [*LinkedAccountAdmin.actions, *(_run_job_action(job) for job in JobKind)]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).prefetch_related("task_runs")

    @admin.display(description="Jobs")
    def job_health(self, account: LinkedAccount) -> str:
        runs = list(account.task_runs.all())
        failing = sorted(run.get_task_display() for run in runs if run.failing)
        if failing:
            return "failing: " + ", ".join(failing)
        busy = sorted(run.get_task_display() for run in runs if run.skipped)
        if busy:
            return f"{len(runs)} run, skipped: " + ", ".join(busy)
        return f"{len(runs)} ok" if runs else "not run yet"


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "task",
        "ok",
        "skipped",
        "last_run_at",
        "last_ok_at",
        "last_error_at",
    ]
    list_filter = ["task", "ok", "skipped"]
    search_fields = ["account__label", "account__household__name", "last_error"]
    readonly_fields = [field.name for field in TaskRun._meta.fields]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False
