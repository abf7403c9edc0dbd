"""Upgrading a database the previous release made, with data in it, to this release."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Household, LinkedAccount, TaskRun
from devices.models import HistoryEntry, Message, Thing

ROOT = Path(__file__).resolve().parents[2]
# Each app's last migration in the previous release (before the jobs app's skipped runs and
# the message centre's read marks).
PREVIOUS_RELEASE = [("accounts", "0008_alarm_notifications"), ("devices", "0004_layout_action")]


def _migrate(targets: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_previous_release_database_with_data_upgrades_intact():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(PREVIOUS_RELEASE)
    OldMessage = old.get_model("devices", "Message")
    assert "read_at" not in {f.name for f in OldMessage._meta.fields}  # really the old schema

    household = old.get_model("accounts", "Household").objects.create(name="Since 0.0.1")
    account = old.get_model("accounts", "LinkedAccount").objects.create(
        household=household,
        label="Old cloud",
        identifier="old@example.com",
        country_code="+44",
        region="eu",
        apikey="old-apikey",
        method="password",
        access_token="old-access-token",
        refresh_token="old-refresh-token",
    )
    thing = old.get_model("devices", "Thing").objects.create(
        household=household, account=account, cloud_id="1000bb0001", item_type=1, name="Lamp"
    )
    now = timezone.now()
    old.get_model("devices", "HistoryEntry").objects.create(
        household=household, thing=thing, ops_time=now - timedelta(hours=1), fingerprint="h1"
    )
    OldMessage.objects.create(
        household=household, account=account, msgid="m1", msg_type="share", date=now
    )
    old.get_model("accounts", "TaskRun").objects.create(
        household=household, account=account, task="sync_history", ok=True
    )

    _migrate(leaves)

    with scopes_disabled():
        upgraded = Household.objects.get(name="Since 0.0.1")
        linked = LinkedAccount.objects.get(household=upgraded)
        assert (linked.access_token, linked.refresh_token) == (
            "old-access-token",
            "old-refresh-token",
        )
        lamp = Thing.objects.get(account=linked)
        assert lamp.name == "Lamp"
        assert list(
            HistoryEntry.objects.filter(thing=lamp).values_list("fingerprint", flat=True)
        ) == ["h1"]
        message = Message.objects.get(account=linked)
        assert message.read_at is None  # the new column, with its default: unread
        assert TaskRun.objects.get(account=linked).skipped is False


def test_make_run_migrates_the_database_before_starting_anything():
    """`make run` on an older var/ brings it up to date first (CI's smoke run starts it on
    a previous release's database and checks every migration is applied)."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe
    steps = [line.strip() for line in recipe.group(1).splitlines()]
    assert steps[0] == "$(PY) manage.py migrate --noinput"
    assert steps[-1] == "$(PY) -m dashboard.launcher"
