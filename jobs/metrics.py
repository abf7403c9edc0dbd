"""Metrics of the account jobs (Celery): runs by job and outcome, and how long they took."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

JOB_RUNS = Counter(
    "dashboard_job_runs",
    "Account job runs by job and outcome (ok, failed, retrying, needs_relink, skipped)",
    ["job", "outcome"],
)
JOB_DURATION = Histogram(
    "dashboard_job_duration_seconds",
    "How long account job runs took (skips are not timed)",
    ["job"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0),
)
