"""Restoring a backup: empty database, the backup's schema, its rows, then today's schema.

The rows are loaded with the models as they were at the backup's migrations (the historical
models migrations use), so a backup of an older release loads into the tables it was made
from and the ordinary migrations then bring it up to this release, as an upgrade would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.apps.registry import Apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.jsonl import Deserializer
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from accounts.crypto import EncryptedTextField, also_decrypting, decrypts
from dashboard.backup.archive import Opened
from dashboard.version import current, is_newer

Node = tuple[str, str]
# Rows every migrated database has, recreated by `migrate`: not the site's data.
STRUCTURAL_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


class RestoreRefused(Exception):
    """Restoring would lose data or cannot work; the message says what to do."""


def check_release(opened: Opened, loader: MigrationLoader) -> set[Node]:
    """The backup's applied migrations, refusing a backup of a newer release."""
    manifest = opened.manifest
    if is_newer(manifest.version):
        raise RestoreRefused(
            f"This backup was made by release {manifest.version}, newer than this "
            f"installation ({current()}): upgrade to {manifest.version} or later, then restore."
        )
    applied = {(app, name) for app, names in manifest.migrations.items() for name in names}
    unknown = sorted(
        node for node in applied if node[0] in loader.migrated_apps and node not in loader.graph
    )
    if unknown:
        raise RestoreRefused(
            f"This backup's database has migrations this release does not know "
            f"({', '.join('.'.join(n) for n in unknown[:5])}): it comes from a newer release."
        )
    return {node for node in applied if node in loader.graph}


def tables_with_data(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor)) - STRUCTURAL_TABLES
        quote = connection.ops.quote_name
        filled = []
        for table in sorted(tables):
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")  # noqa: S608 (introspected)
            if cursor.fetchone():
                filled.append(table)
    return filled


def empty_tables(tables: Iterable[str], alias: str = DEFAULT_DB_ALIAS) -> None:
    connection = connections[alias]
    statements = connection.ops.sql_flush(
        no_style(), sorted(tables), reset_sequences=True, allow_cascade=True
    )
    connection.ops.execute_sql_flush(statements)


def backup_state(loader: MigrationLoader, applied: set[Node]) -> list[tuple[str, str | None]]:
    """Migration targets putting a database at exactly the backup's migrations."""
    targets: list[tuple[str, str | None]] = []
    for app in sorted(loader.migrated_apps):
        nodes = [node for node in applied if node[0] == app]
        leaves = [
            node
            for node in nodes
            if not any(
                child in applied and child[0] == app
                for child in loader.graph.node_map[node].children
            )
        ]
        targets.extend(sorted(leaves) or [(app, None)])
    return targets


def encrypted_fields(apps: Apps) -> dict[str, list[str]]:
    """model label -> its token fields, as the backup's models had them."""
    fields: dict[str, list[str]] = {}
    for model in apps.get_models():
        names = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
        if names:
            fields[model._meta.label_lower] = names
    return fields


def check_tokens(data: IO[bytes], fields: dict[str, list[str]], keys: list[str]) -> int:
    """How many tokens the backup holds, refusing if any cannot be read with `keys`.

    Loading a token with a key that cannot open it would store the ciphertext itself,
    encrypted once more: readable by nobody.
    """
    count = 0
    for line in data:
        if not line.strip():
            continue
        row = json.loads(line)
        for name in fields.get(row["model"], []):
            value = row["fields"].get(name)
            if not value:
                continue
            count += 1
            if not decrypts(value, keys):
                raise RestoreRefused(
                    "The linked accounts' tokens in this backup were encrypted with a key this "
                    "site does not have. Put the backed-up site's FIELD_ENCRYPTION_KEYS (its "
                    ".env, or the file in its var/keys/) in this site's settings, or restore "
                    "with --passphrase-file if the backup was made with one."
                )
    return count


def without_tokens(data: IO[bytes], fields: dict[str, list[str]]) -> Iterator[bytes]:
    """The rows with every token blanked and active links marked "needs relink"."""
    for line in data:
        if not line.strip():
            continue
        row = json.loads(line)
        for name in fields.get(row["model"], []):
            row["fields"][name] = ""
        if row["model"] == "accounts.linkedaccount" and row["fields"].get("status") == "active":
            row["fields"]["status"] = "needs_relink"
        yield json.dumps(row).encode()


class _HistoricalDeserializer(Deserializer):
    """JSON lines read into the models of a past migration state."""

    def __init__(self, stream: Iterable[bytes], apps: Apps, **options: Any) -> None:
        super().__init__(stream, **options)  # type: ignore[arg-type]  # it iterates lines
        self._apps = apps

    def _get_model_from_node(self, model_identifier: str) -> Any:
        try:
            return self._apps.get_model(model_identifier)
        except (LookupError, TypeError):
            raise DeserializationError(f"Invalid model identifier: {model_identifier}") from None


def load_rows(data: Iterable[bytes], apps: Apps, alias: str = DEFAULT_DB_ALIAS) -> int:
    """Insert every row in one transaction, as `loaddata` does; the number of rows."""
    connection = connections[alias]
    models = set()
    count = 0
    with transaction.atomic(using=alias), connection.constraint_checks_disabled():
        for obj in _HistoricalDeserializer(data, apps, using=alias):
            obj.save(using=alias)
            models.add(type(obj.object))
            count += 1
        connection.check_constraints(table_names=[m._meta.db_table for m in models])
        statements = connection.ops.sequence_reset_sql(no_style(), list(models))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    return count


def restore(
    opened: Opened, *, force: bool, backup_keys: list[str], drop_tokens: bool = False
) -> dict[str, int]:
    """Replace this site's (empty, or with force any) database by the backup's.

    Everything that can refuse (release, tokens, a database in use) is checked before the
    database is touched. `drop_tokens` (the key is lost) loads everything but the tokens:
    the linked accounts then ask to be relinked, with their homes, things and history kept.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    applied = check_release(opened, executor.loader)
    targets = backup_state(executor.loader, applied)
    nodes = [(app, name) for app, name in targets if name is not None]
    apps = executor.loader.project_state(nodes).apps
    keys = list(settings.FIELD_ENCRYPTION_KEYS) + backup_keys
    fields = encrypted_fields(apps)
    tokens = 0 if drop_tokens else check_tokens(opened.data(), fields, keys)

    filled = tables_with_data()
    if filled and not force:
        raise RestoreRefused(
            f"The database is not empty ({', '.join(filled[:5])}"
            f"{' …' if len(filled) > 5 else ''}); restore into a fresh install, or pass "
            f"--force to replace everything in it."
        )
    if filled:
        empty_tables(set(connection.introspection.table_names()) - {"django_migrations"})
    executor.migrate(targets)
    # The backup carries its own content types and permissions, under their own ids.
    empty_tables({"django_content_type", "auth_permission"})
    data = without_tokens(opened.data(), fields) if drop_tokens else opened.data()
    with also_decrypting(backup_keys):
        rows = load_rows(data, apps)
    ContentType.objects.clear_cache()
    call_command("migrate", interactive=False, verbosity=0)
    return {"rows": rows, "tokens": tokens}
