"""The Celery app: the same Redis as Channels, JSON only, configured from Django settings."""

import os
import sys

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")


def _is_celery_worker(argv: list[str]) -> bool:
    program = os.path.basename(argv[0]) if argv else ""
    return ("celery" in program or argv[0].endswith("celery/__main__.py")) and "worker" in argv


if _is_celery_worker(sys.argv):
    # Before anything imports prometheus_client: the pool's children count the jobs, so the
    # metrics port (if on) must sum their files (dashboard/celery_metrics.py).
    from dashboard.celery_metrics import prepare_multiprocess

    prepare_multiprocess()

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def keep_the_settings_logging(**kwargs: object) -> None:
    """Celery leaves logging as LOGGING configures it (LOG_LEVEL, LOG_FORMAT, the context of
    each line) instead of installing its own handlers and level (`-l` is then ignored)."""
