from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from accounts.signals import job_requested
        from jobs.requests import queue_requested_job

        # accounts asks for a job (a Resync, a new link) by signal: it never imports jobs.
        job_requested.connect(queue_requested_job, dispatch_uid="jobs.queue_requested_job")
