"""Dumping the database consistently while the site runs, on SQLite and PostgreSQL.

SQLite: the sqlite3 backup API copies the live file into a temporary file in one read
transaction (WAL: writers go on) and the dump reads that copy at leisure. PostgreSQL: the
dump runs in one REPEATABLE READ READ ONLY transaction, a snapshot that blocks no writer.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

SNAPSHOT_ALIAS = "backup_snapshot"
# Sessions are bearer credentials of signed-in browsers, not data: a backup file must not
# sign anyone in, and a restored site signs everyone in afresh.
EXCLUDED = ["sessions"]


def applied_migrations(alias: str) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[alias])
    applied: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


@contextmanager
def consistent_alias() -> Iterator[str]:
    """A database alias whose reads all see one moment of the live database."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dashboard-backup-") as tmp:
            copy = Path(tmp) / "snapshot.sqlite3"
            source = sqlite3.connect(connection.settings_dict["NAME"], timeout=20)
            target = sqlite3.connect(copy)
            try:
                # One step: in WAL mode it reads one snapshot without blocking writers, where
                # a stepped copy would restart after every write by another process.
                source.backup(target)
            finally:
                target.close()
                source.close()
            connections.settings[SNAPSHOT_ALIAS] = {
                **connection.settings_dict,
                "NAME": str(copy),
            }
            try:
                yield SNAPSHOT_ALIAS
            finally:
                connections[SNAPSHOT_ALIAS].close()
                del connections[SNAPSHOT_ALIAS]
                del connections.settings[SNAPSHOT_ALIAS]
        return
    # Inside a transaction already (a test's), the snapshot is that transaction's.
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(using=DEFAULT_DB_ALIAS):
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield DEFAULT_DB_ALIAS


def dump(output: Path, alias: str) -> dict[str, int]:
    """Every table but EXCLUDED as JSON lines (tokens as ciphertext), and rows per model."""
    call_command(
        "dumpdata",
        format="jsonl",
        database=alias,
        exclude=EXCLUDED,
        use_base_manager=True,  # every row, past the household scoping of the default managers
        output=str(output),
        verbosity=0,
        stdout=StringIO(),
    )
    counts: dict[str, int] = {}
    with output.open("rb") as lines:
        for line in lines:
            model = json.loads(line)["model"]
            counts[model] = counts.get(model, 0) + 1
    return counts
