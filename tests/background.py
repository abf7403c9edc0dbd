"""Running what a request queued for the background, in the test's own process.

A view queues its Celery task once its transaction commits; in a test the transaction never
commits, so nothing would run. `queued_work_runs` runs the on-commit callbacks when its block
ends, with Celery eager: the task runs here, as a worker would run it after the response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.test import TestCase

from dashboard.celery import app as celery_app


@contextmanager
def queued_work_runs() -> Iterator[list[Callable[[], Any]]]:
    """What the block queues (tasks, page events) runs when it ends; yields the callbacks."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, False
    try:
        with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
            yield callbacks
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved
