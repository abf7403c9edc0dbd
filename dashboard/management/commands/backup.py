"""`manage.py backup FILE`: the whole site in one file, taken while it runs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from dashboard.backup import archive, keys
from dashboard.backup.dump import applied_migrations, consistent_alias, dump
from dashboard.version import current


class Command(BaseCommand):
    help = (
        "Write the database, the release and (with --passphrase-file, wrapped by it) the "
        "token-encryption keys to one .tar.gz file. Safe while the site runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="where to write the backup, e.g. backup.tar.gz")
        parser.add_argument(
            "--passphrase-file",
            help="include FIELD_ENCRYPTION_KEYS, encrypted with the passphrase in this file",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]).resolve()
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a directory")
        passphrase = None
        if options["passphrase_file"]:
            try:
                passphrase = keys.read_passphrase(options["passphrase_file"])
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the passphrase: {exc}") from None
        with tempfile.TemporaryDirectory(prefix="dashboard-backup-") as tmp:
            data = Path(tmp) / archive.DATA
            with consistent_alias() as alias:
                counts = dump(data, alias)
                migrations = applied_migrations(alias)
            manifest = archive.Manifest(
                version=current(),
                created=timezone.now().isoformat(),
                engine=connections[DEFAULT_DB_ALIAS].vendor,
                migrations=migrations,
                keys_included=passphrase is not None,
                counts=counts,
            )
            wrapped = (
                keys.wrap(list(settings.FIELD_ENCRYPTION_KEYS), passphrase) if passphrase else None
            )
            archive.write(path, manifest, data, wrapped)
        self.stdout.write(
            f"Backup of release {manifest.version} written to {path} ({sum(counts.values())} rows)."
        )
        if passphrase is None:
            self.stdout.write(
                "The token-encryption keys are NOT in it: keep FIELD_ENCRYPTION_KEYS (.env, or "
                f"{settings.KEYS_DIR}/field_encryption_key) safe apart from this file."
            )
