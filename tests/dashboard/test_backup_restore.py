"""Backup → fresh install → restore, on PostgreSQL and on the embedded default (SQLite).

Each site is its own `manage.py` process with its own database and keys, as on two machines.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from tests.dashboard.backup_files import members, rewrite
from tests.dashboard.backup_scenario import ACCESS, MEMBER, OWNER, REFRESH

ROOT = Path(__file__).resolve().parents[2]

# Each test runs several manage.py processes (53 s under load), and dropping its PostgreSQL
# databases waits for the server's checkpoint: 67 s in run c1 (seed 788047), when five
# suites' test databases were on the server, which went past the default 120 s.
pytestmark = pytest.mark.timeout(300)


@dataclass
class Site:
    """One installation: its database URL, var/ directory and (if given) token key."""

    database_url: str
    var_dir: Path
    key: str | None = None
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"FIELD_ENCRYPTION_KEYS"}}
        env.update(DATABASE_URL=self.database_url, VAR_DIR=str(self.var_dir))
        env["REDIS_URL"] = settings.REDIS_URL
        if self.key:
            env["FIELD_ENCRYPTION_KEYS"] = self.key
        self.env = env

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def scenario(self, step: str) -> subprocess.CompletedProcess[str]:
        code = f"from tests.dashboard.backup_scenario import {step}; {step}()"
        return self.manage("shell", "-c", code)

    def facts(self) -> dict[str, object]:
        out = self.scenario("check").stdout
        return json.loads(out[out.index("FACTS ") + 6 :])


def _expected_facts() -> dict[str, object]:
    return {
        "households": ["Backup Joneses", "Backup Smiths", "Made after the restore"],
        "memberships": [
            [MEMBER, "Backup Smiths", "member"],
            [OWNER, "Backup Joneses", "admin"],
            [OWNER, "Backup Smiths", "owner"],
        ],
        "tokens": [ACCESS, REFRESH],
        "account_status": "active",
        "stored_in_clear": False,
        "stored_opens_with_site_key": True,
        "thing": ["Kettle", {"switch": "on"}, "Kitchen", "Flat"],
        "history": [[f"fp-{m}", {"switch": "on" if m % 2 else "off"}] for m in range(5)],
        "message": [["msg-1", {"from": "a friend"}, None]],
        "task_runs": [["sync_history", True, False]],
        "owner_password_works": True,
    }


@pytest.fixture
def postgres_databases() -> Iterator[tuple[str, str]]:
    """Two empty PostgreSQL databases beside the test run's own, dropped afterwards."""
    base = os.environ["DATABASE_URL"]
    server, _, dbname = base.rpartition("/")
    names = [f"{dbname}_bk_{uuid.uuid4().hex[:8]}_{side}" for side in ("src", "dst")]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{names[0]}", f"{server}/{names[1]}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_round_trip_on_postgresql_with_the_key_kept_apart(postgres_databases, tmp_path):
    """The documented default: the key travels in .env, not in the backup file."""
    key = Fernet.generate_key().decode()
    source = Site(postgres_databases[0], tmp_path / "old-var", key)
    source.manage("migrate", "--noinput", "-v", "0")
    source.scenario("create")
    backup = tmp_path / "site.tar.gz"
    out = source.manage("backup", str(backup)).stdout
    assert "keys are NOT in it" in out
    assert b"backup-secret" not in _data(backup)  # tokens only as ciphertext

    fresh = Site(postgres_databases[1], tmp_path / "new-var", key)
    fresh.manage("migrate", "--noinput", "-v", "0")
    out = fresh.manage("restore", str(backup)).stdout
    assert "(2 tokens)" in out
    assert fresh.facts() == _expected_facts()

    # A second restore onto the now filled database is refused, and --force replaces it.
    refused = fresh.manage("restore", str(backup), check=False)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr
    fresh.manage("restore", "--force", str(backup))
    assert fresh.facts() == _expected_facts()


def test_restore_without_the_backed_up_key_is_refused_before_touching_anything(
    postgres_databases, tmp_path
):
    source = Site(postgres_databases[0], tmp_path / "old-var", Fernet.generate_key().decode())
    source.manage("migrate", "--noinput", "-v", "0")
    source.scenario("create")
    backup = tmp_path / "site.tar.gz"
    source.manage("backup", str(backup))
    # The same database, now configured with another key: even --force must not load tokens
    # it cannot read (they would be stored encrypted twice, readable by nobody).
    other = Site(postgres_databases[0], tmp_path / "old-var", Fernet.generate_key().decode())
    refused = other.manage("restore", "--force", str(backup), check=False)
    assert refused.returncode != 0
    assert "encrypted with a key this site does not have" in refused.stderr
    assert source.facts()["tokens"] == [ACCESS, REFRESH]  # nothing was flushed

    # The key is lost for good: everything but the tokens comes back, the link asks to be
    # relinked (its homes, things and history kept for when it is).
    other.manage("restore", "--force", "--without-tokens", str(backup))
    facts = other.facts()
    assert facts["tokens"] == ["", ""]
    assert facts["account_status"] == "needs_relink"
    expected = _expected_facts()
    for kept in ("households", "memberships", "thing", "history", "owner_password_works"):
        assert facts[kept] == expected[kept], kept


def test_round_trip_on_sqlite_online_with_the_key_wrapped_by_a_passphrase(tmp_path):
    """The embedded default: generated keys under var/keys, backup taken while a writer is
    mid-transaction, restored on a new machine whose own key differs."""
    source = Site(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path / "old-var")
    source.manage("migrate", "--noinput", "-v", "0")
    source.scenario("create")
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse battery staple\n")

    # The site is running: another process holds an open write transaction.
    writer = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None, timeout=1)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO accounts_household (name, time_zone, structure_version, created_at) "
        "VALUES ('Uncommitted', 'UTC', 0, '2026-01-01')"
    )
    backup = tmp_path / "site.tar.gz"
    try:
        out = source.manage("backup", "--passphrase-file", str(passphrase), str(backup)).stdout
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "keys are NOT in it" not in out
    assert b"Uncommitted" not in _data(backup)

    fresh = Site(f"sqlite:///{tmp_path / 'new.sqlite3'}", tmp_path / "new-var")
    wrong = tmp_path / "wrong"
    wrong.write_text("not it")
    refused = fresh.manage("restore", "--passphrase-file", str(wrong), str(backup), check=False)
    assert "passphrase does not open" in refused.stderr
    fresh.manage("restore", "--passphrase-file", str(passphrase), str(backup))
    new_key = (tmp_path / "new-var" / "keys" / "field_encryption_key").read_text().strip()
    old_key = (tmp_path / "old-var" / "keys" / "field_encryption_key").read_text().strip()
    assert new_key != old_key
    # Tokens read back, now stored under the new site's own key.
    assert fresh.facts() == _expected_facts()


def test_the_embedded_defaults_backup_moves_to_postgresql(postgres_databases, tmp_path):
    """Outgrowing the embedded default: its backup restores into PostgreSQL."""
    key = Fernet.generate_key().decode()
    source = Site(f"sqlite:///{tmp_path / 'embedded.sqlite3'}", tmp_path / "var", key)
    source.manage("migrate", "--noinput", "-v", "0")
    source.scenario("create")
    backup = tmp_path / "site.tar.gz"
    source.manage("backup", str(backup))
    production = Site(postgres_databases[1], tmp_path / "var", key)
    production.manage("restore", str(backup))
    assert production.facts() == _expected_facts()


def _data(backup: Path) -> bytes:
    return members(backup)["data.jsonl"]


# The last migrations of each app as the previous release shipped them (before the jobs app's
# skipped runs and the message centre's read marks).
PREVIOUS_RELEASE = {"accounts": "0008_alarm_notifications", "devices": "0004_layout_action"}
NEW_APPS = ("readings", "logbook")  # apps that release did not have at all


def _fields_of_previous_release() -> dict[str, set[str]]:
    """Each model ("app.model") → its fields in the previous release, read from its migrations."""
    state = MigrationLoader(None, ignore_no_migrations=True).project_state(
        nodes=list(PREVIOUS_RELEASE.items()), at_end=True
    )
    return {
        f"{app}.{name}": set(model.fields)
        for (app, name), model in state.models.items()
        if app in PREVIOUS_RELEASE
    }


def test_a_backup_of_the_previous_release_loads_at_its_migrations_then_upgrades(tmp_path):
    source = Site(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path / "var")
    source.manage("migrate", "--noinput", "-v", "0")
    source.scenario("create")
    backup = tmp_path / "site.tar.gz"
    source.manage("backup", str(backup))

    def as_previous_release(manifest: dict) -> None:
        manifest["version"] = "0.0.1"
        for app, last in PREVIOUS_RELEASE.items():
            names = manifest["migrations"][app]
            manifest["migrations"][app] = names[: names.index(last) + 1]
        for app in NEW_APPS:
            manifest["migrations"].pop(app, None)

    fields_then = _fields_of_previous_release()

    def without_new_fields(row: dict) -> bool:
        # Fields, models and apps added by the later migrations did not exist in that release.
        app = row["model"].split(".")[0]
        if app in NEW_APPS:
            return False
        if app not in PREVIOUS_RELEASE:
            return True
        fields = fields_then.get(row["model"])
        if fields is None:
            return False
        row["fields"] = {name: value for name, value in row["fields"].items() if name in fields}
        return True

    older = tmp_path / "previous-release.tar.gz"
    rewrite(backup, older, as_previous_release, without_new_fields)
    fresh = Site(f"sqlite:///{tmp_path / 'new.sqlite3'}", tmp_path / "var")
    fresh.manage("migrate", "--noinput", "-v", "0")  # a fresh install of this release
    fresh.manage("restore", str(older))  # steps its schema back to the backup's, then forward
    assert fresh.facts() == _expected_facts()
    shown = fresh.manage("showmigrations", "devices", "accounts").stdout
    assert "[ ]" not in shown  # upgraded to this release's migrations after loading
