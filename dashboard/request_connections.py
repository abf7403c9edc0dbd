"""The database connections of an ASGI request are closed when the request ends.

Under ASGI, Django runs each request's sync code in a thread of its own (`ASGIHandler` enters
asgiref's `ThreadSensitiveContext` per request), so the connection a request opens is never
reused by a later one, whatever `CONN_MAX_AGE` says. Left open, it stays idle until the
garbage collector frees the dead thread's locals: with the collector tuned down in Daphne
(`dashboard/heap.py`), a burst of requests ran PostgreSQL out of connections. Django advises
`CONN_MAX_AGE = 0` for async servers; this does exactly that for ASGI requests, so the worker,
Celery and the page sockets (whose threads live on) keep their persistent connections.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.db import connections


def close_request_connections(sender: type, **kwargs: Any) -> None:
    """Runs in the request's own thread (Django sends `request_finished` from there)."""
    connections.close_all()


def connect() -> None:
    request_finished.connect(
        close_request_connections, sender=ASGIHandler, dispatch_uid="close-asgi-connections"
    )
