"""Prometheus metrics of every process kind, in the text format.

The metrics themselves live with the code they count (`dashboard.request_metrics`,
`realtime.metrics`, `jobs.metrics`, `accounts.cloud_metrics`); this module imports them all,
so every process exposes every family (those of other process kinds stay at zero), and
renders them:

- web: `/metrics`, only with `Authorization: Bearer <METRICS_TOKEN>` (dashboard/ops_views.py);
- realtime worker and Celery worker: their own port (`METRICS_PORT_REALTIME`,
  `METRICS_PORT_CELERY`, on `METRICS_ADDRESS`), which also answers `/readyz` and `/healthz`
  (`serve()`).

The Celery worker forks its pool: job metrics are counted in the children, so it runs in
prometheus_client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set before the worker
starts; `dashboard.celery_metrics`) and its port sums the children's files.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.db import connections
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import ThreadingWSGIServer

import accounts.cloud_metrics
import dashboard.request_metrics
import jobs.metrics
import realtime.metrics

log = logging.getLogger(__name__)
MODULES = (dashboard.request_metrics, realtime.metrics, jobs.metrics, accounts.cloud_metrics)
Ready = Callable[[], dict[str, Any]]
# The text format every Prometheus version reads (our names need none of 1.0.0's escaping).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def multiprocess_dir() -> str:
    """Where multiprocess mode keeps its files ('' when the process is not in that mode)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def process_registry() -> CollectorRegistry:
    """The registry to render: this process's own, or the sum of the multiprocess files."""
    if not multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def render(registry: CollectorRegistry | None = None) -> bytes:
    """The metrics in Prometheus' text format."""
    return generate_latest(registry or process_registry())


def exported_names(registry: CollectorRegistry = REGISTRY) -> set[str]:
    """Every sample name the process can expose (what a dashboard may query)."""
    names: set[str] = set()
    for family in registry.collect():
        names.add(family.name)
        if family.type == "counter":
            names.update({f"{family.name}_total", f"{family.name}_created"})
        elif family.type == "histogram":
            names.update(f"{family.name}_{s}" for s in ("bucket", "count", "sum", "created"))
    return {name for name in names if name.startswith("dashboard_")}


# --- the workers' own port -------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """No access log line per scrape."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def wsgi_app(ready: Ready) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """`/metrics`, `/readyz` (503 when not ready) and `/healthz`; anything else is a 404."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body, status, kind = render(), "200 OK", CONTENT_TYPE
        elif path == "/readyz":
            try:
                answer = ready()
            finally:
                connections.close_all()  # this request's thread is gone after it
            status = "200 OK" if answer["ready"] else "503 Service Unavailable"
            body, kind = json.dumps(answer).encode(), "application/json"
        elif path == "/healthz":
            body, status, kind = b'{"ok": true}', "200 OK", "application/json"
        else:
            body, status, kind = b"not found\n", "404 Not Found", "text/plain"
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve(port: int, address: str, ready: Ready) -> WSGIServer:
    """Serve the metrics port from a daemon thread; returns the server (`shutdown()` stops it)."""
    server = make_server(
        address, port, wsgi_app(ready), ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    log.info("metrics on http://%s:%s/metrics", address, server.server_port)
    return server
