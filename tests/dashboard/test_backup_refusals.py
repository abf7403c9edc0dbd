"""What restore refuses before it touches the database, and what a backup file holds."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from accounts.models import Household
from dashboard.version import current
from tests.dashboard.backup_files import members, rewrite
from tests.factories import LinkedAccountFactory


@pytest.fixture
def backup(db, tmp_path) -> Path:
    LinkedAccountFactory(access_token="at-in-the-backup")
    path = tmp_path / "site.tar.gz"
    call_command("backup", str(path), stdout=StringIO())
    return path


def _restore(path: Path, *args: str) -> None:
    call_command("restore", *args, str(path), stdout=StringIO(), stderr=StringIO())


def _households() -> int:
    with scopes_disabled():
        return Household.objects.count()


def test_the_file_holds_manifest_and_data_but_no_key_without_a_passphrase(backup, settings):
    content = members(backup)
    assert set(content) == {"manifest.json", "data.jsonl"}
    manifest = json.loads(content["manifest.json"])
    assert manifest["version"] == current()
    assert "0001_initial" in manifest["migrations"]["accounts"]
    assert manifest["counts"]["accounts.linkedaccount"] == 1
    assert b"at-in-the-backup" not in content["data.jsonl"]
    assert b'"model": "sessions.session"' not in content["data.jsonl"]
    for key in settings.FIELD_ENCRYPTION_KEYS:
        assert key.encode() not in content["data.jsonl"]


def test_with_a_passphrase_the_keys_are_in_it_only_wrapped(db, tmp_path, settings):
    passphrase = tmp_path / "pass"
    passphrase.write_text("a long passphrase\n")
    path = tmp_path / "site.tar.gz"
    call_command("backup", "--passphrase-file", str(passphrase), str(path), stdout=StringIO())
    content = members(path)
    assert json.loads(content["manifest.json"])["keys_included"] is True
    assert settings.FIELD_ENCRYPTION_KEYS[0].encode() not in content["keys.enc"]
    assert json.loads(content["keys.enc"])["kdf"] == "scrypt"


def test_a_backup_of_a_newer_release_is_refused(backup, tmp_path):
    newer = tmp_path / "newer.tar.gz"
    rewrite(backup, newer, lambda m: m.update(version="999.0"), lambda row: None)
    before = _households()
    with pytest.raises(CommandError, match=r"release 999\.0, newer than this installation"):
        _restore(newer, "--force")
    assert _households() == before


def test_a_backup_with_migrations_this_release_lacks_is_refused(backup, tmp_path):
    def future(manifest: dict) -> None:
        manifest["migrations"]["accounts"].append("9999_from_the_future")

    newer = tmp_path / "newer.tar.gz"
    rewrite(backup, newer, future, lambda row: None)
    with pytest.raises(CommandError, match=r"9999_from_the_future.*newer release"):
        _restore(newer, "--force")
    assert _households() == 1


def test_a_non_empty_database_is_refused_without_force(backup):
    with pytest.raises(CommandError, match=r"not empty \(.*accounts_household"):
        _restore(backup)
    assert _households() == 1


def test_a_file_that_is_no_backup_is_refused(db, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    with pytest.raises(CommandError, match="is not a backup file"):
        _restore(junk)
