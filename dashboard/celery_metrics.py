"""The Celery worker's metrics port (`METRICS_PORT_CELERY`): /metrics, /readyz, /healthz.

The worker forks its pool and jobs run (and are counted) in the children, so the worker uses
prometheus_client's multiprocess mode: each process writes its values to files in
`PROMETHEUS_MULTIPROC_DIR` and the main process's port sums them. The mode must be chosen
before prometheus_client is first imported, which `dashboard/celery.py` does for worker
processes only; the directory is a fresh one per worker start unless you set your own.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from celery.signals import worker_init, worker_process_shutdown

log = logging.getLogger(__name__)


def prepare_multiprocess() -> None:
    """Turn multiprocess mode on for this worker when its metrics port is on."""
    from django.conf import settings

    if not settings.METRICS_PORT_CELERY:
        return
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        _remove_stale(Path(given))
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="celery-metrics-")


def _remove_stale(directory: Path) -> None:
    """Files of an earlier run would add its counts to this one's."""
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


@worker_init.connect
def start_metrics_port(**kwargs: Any) -> None:
    """In the worker's main process, before the pool starts."""
    from django.conf import settings

    if not settings.METRICS_PORT_CELERY:
        return
    from dashboard import metrics, readiness

    metrics.serve(
        settings.METRICS_PORT_CELERY,
        settings.METRICS_ADDRESS,
        lambda: readiness.report("celery", readiness.BASE_CHECKS),
    )


@worker_process_shutdown.connect
def forget_child(pid: int | None = None, **kwargs: Any) -> None:
    """A pool child is gone: its live gauges no longer count."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]
