"""Jobs other apps ask for by signal (`accounts.signals.job_requested`), queued here."""

from __future__ import annotations

from typing import Any

from jobs.tasks import queue


def queue_requested_job(
    sender: Any, *, account_id: int, job: str, expires: float | None = None, **kwargs: Any
) -> bool:
    """Queue the job; a broker that cannot be reached raises to the sender (`send`, not robust)."""
    queue(job, account_id, expires=expires)
    return True
