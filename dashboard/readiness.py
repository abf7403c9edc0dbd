"""Readiness: may this process take work? The database answers, Redis answers, every
migration is applied — and, for the workers, the worker itself is up.

`/readyz` (web), `manage.py ready --web|--realtime|--celery` (compose health checks) and the
workers' metrics port (`/readyz`) all answer from `report()`.
"""

from __future__ import annotations

import importlib.metadata
import socket
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

PROJECT = "ewelink-dashboard"  # [project] name in pyproject.toml
TIMEOUT = 2.0  # seconds each check may take
Check = Callable[[], str | None]  # None when fine, else what is wrong

_migrated = False  # once all are applied they stay applied for this process's code


def version() -> str:
    """The installed version of the project."""
    try:
        return importlib.metadata.version(PROJECT)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def check_database() -> str | None:
    """The database answers a query."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver's error means not ready
        return f"database unreachable ({type(exc).__name__})"
    return None


def check_redis() -> str | None:
    """Redis answers PING."""
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        with client:
            client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"redis unreachable ({type(exc).__name__})"
    return None


def check_migrations() -> str | None:
    """No migration of the code is left unapplied (checked until it once holds)."""
    global _migrated
    if _migrated:
        return None
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return f"migrations unknown ({type(exc).__name__})"
    if plan:
        return f"{len(plan)} migration(s) not applied"
    _migrated = True
    return None


def check_realtime_worker() -> str | None:
    """A realtime worker on this host reported in within its 30 s (it writes every 2 s)."""
    from realtime.redis import alive_key

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT
        )
        with client:
            found = client.keys(alive_key(f"{socket.gethostname()}-*"))
    except (redis.RedisError, OSError) as exc:
        return f"redis unreachable ({type(exc).__name__})"
    return None if found else "no realtime worker on this host reported in"


def check_celery_worker() -> str | None:
    """A Celery worker on this host answers a ping."""
    from dashboard.celery import app

    try:
        replies = app.control.ping(timeout=TIMEOUT) or []
    except Exception as exc:  # the broker is down, or kombu's own errors
        return f"celery unreachable ({type(exc).__name__})"
    host = socket.gethostname()
    names = [name for reply in replies for name in reply]
    if not any(name.split("@", 1)[-1] == host for name in names):
        return "no celery worker on this host answered"
    return None


BASE_CHECKS: dict[str, Check] = {
    "database": check_database,
    "redis": check_redis,
    "migrations": check_migrations,
}
CHECKS: dict[str, dict[str, Check]] = {
    "web": BASE_CHECKS,
    "realtime": {**BASE_CHECKS, "worker": check_realtime_worker},
    "celery": {**BASE_CHECKS, "worker": check_celery_worker},
}


def report(kind: str = "web", checks: dict[str, Check] | None = None) -> dict[str, Any]:
    """{"ready": bool, "version": ..., "process": kind, "checks": {name: {"ok", "error"?}}}."""
    results: dict[str, Any] = {}
    for name, check in (checks if checks is not None else CHECKS[kind]).items():
        started = time.perf_counter()
        error = check()
        result: dict[str, Any] = {"ok": error is None}
        if error is not None:
            result["error"] = error
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    ready = all(result["ok"] for result in results.values())
    return {"ready": ready, "version": version(), "process": kind, "checks": results}
