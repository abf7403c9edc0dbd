"""`manage.py restore FILE`: bring a backup back on a fresh install."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.backup import archive, keys
from dashboard.backup.load import RestoreRefused, restore


class Command(BaseCommand):
    help = (
        "Load a backup made by `manage.py backup` into this site's database (migrated up to "
        "this release afterwards). Stop the site first. Refuses a non-empty database "
        "without --force and a backup of a newer release."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--passphrase-file",
            help="the passphrase the backup's keys were wrapped with (backup --passphrase-file)",
        )
        parser.add_argument(
            "--force", action="store_true", help="replace everything in a non-empty database"
        )
        parser.add_argument(
            "--without-tokens",
            action="store_true",
            help="the key is lost: restore all but the tokens (linked accounts need relinking)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        passphrase = None
        if options["passphrase_file"]:
            try:
                passphrase = keys.read_passphrase(options["passphrase_file"])
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the passphrase: {exc}") from None
        try:
            with archive.read(Path(options["file"])) as opened:
                backup_keys: list[str] = []
                if opened.wrapped_keys is not None and passphrase is not None:
                    backup_keys = keys.unwrap(opened.wrapped_keys, passphrase)
                elif passphrase is not None:
                    self.stderr.write("This backup holds no keys: using this site's own.")
                result = restore(
                    opened,
                    force=options["force"],
                    backup_keys=backup_keys,
                    drop_tokens=options["without_tokens"],
                )
                version = opened.manifest.version
        except (archive.BadBackup, RestoreRefused, keys.WrongPassphrase) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored {result['rows']} rows ({result['tokens']} tokens) from release {version}."
        )
