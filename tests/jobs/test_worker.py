"""One end-to-end run through a real Celery worker process on Redis.

The worker is a separate process, so it cannot see this test's transaction: the test commits
(transaction=True). On PostgreSQL the worker opens the test database by name; SQLite's test
database lives in this process's memory, so the worker gets a file copy of it (sqlite3's
backup API) and the test reads the worker's results from that file.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import JobKind
from devices.tasks import check_firmware_for_account

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _database_url(tmp_path: Path) -> str:
    """A DATABASE_URL through which another process sees what this test committed."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        copy = tmp_path / "worker.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(copy) as target:
            connection.connection.backup(target)
        return f"sqlite:///{copy}"
    user = f"{db['USER']}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{db['USER']}@"
    return f"postgres://{user}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _reader(database_url: str) -> Callable[[str, tuple], list[tuple]]:
    """Run a query against the database the worker writes to."""
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")

        def sqlite_query(sql: str, params: tuple) -> list[tuple]:
            with sqlite3.connect(path) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()

        return sqlite_query

    def django_query(sql: str, params: tuple) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return django_query


@pytest.fixture
def worker(tmp_path, cloud, jobs_redis) -> Iterator[Callable[[str], Any]]:
    """Start a solo-pool worker on a queue of its own (other workers may share this Redis)."""
    procs: list[subprocess.Popen[bytes]] = []
    logs = []

    def start(database_url: str) -> str:
        queue = f"jobs-test-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": jobs_redis,
            "CHANNELS_PREFIX": queue,
            "EWELINK_BASE_URL": cloud.api_template,
            "EWELINK_APP_ID": cloud.appid,
            "EWELINK_APP_SECRET": cloud.secret,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        }
        log = (tmp_path / "worker.log").open("w")
        logs.append(log)
        command = [
            *(sys.executable, "-m", "celery", "-A", "dashboard", "worker", "--pool", "solo"),
            *("-Q", queue, "-n", f"{queue}@localhost", "-l", "info"),
            *("--without-mingle", "--without-gossip", "--without-heartbeat"),
        ]
        procs.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        )
        return queue

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for log in logs:
        log.close()


def _wait_for(query: Callable[[], list[tuple]], done: Callable[[list[tuple]], bool], log: Path):
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        rows = query()
        if done(rows):
            return rows
        time.sleep(0.2)
    pytest.fail("the worker did not finish in time:\n" + log.read_text()[-3000:])


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_once_and_a_rerun_changes_nothing(link, worker, tmp_path):
    account = link()
    database_url = _database_url(tmp_path)
    query = _reader(database_url)
    queue = worker(database_url)
    log = tmp_path / "worker.log"

    def runs() -> list[tuple]:
        return query(
            "SELECT ok, result, last_run_at FROM accounts_taskrun WHERE account_id = %s "
            "AND task = %s",
            (account.pk, JobKind.CHECK_FIRMWARE.value),
        )

    check_firmware_for_account.apply_async(args=[account.pk], queue=queue)
    first = _wait_for(runs, bool, log)
    updates = query("SELECT version FROM devices_firmwareupdate", ())
    notes = query("SELECT kind FROM accounts_notification", ())
    assert first[0][0] in (1, True)
    assert ("3.7.2",) in updates
    assert len(notes) == len(updates) > 0

    check_firmware_for_account.apply_async(args=[account.pk], queue=queue)
    _wait_for(runs, lambda rows: rows[0][2] != first[0][2], log)
    assert query("SELECT version FROM devices_firmwareupdate", ()) == updates
    assert len(query("SELECT kind FROM accounts_notification", ())) == len(notes)
