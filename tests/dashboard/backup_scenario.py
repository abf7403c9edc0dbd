"""A site's worth of data for the backup round trip, made and read back in a subprocess.

`python manage.py shell -c "from tests.dashboard.backup_scenario import create; create()"`
fills a database; `... import check; check()` prints what a restore must have kept, as JSON.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.crypto import decrypts
from accounts.models import Household, LinkedAccount, Membership, Role, TaskRun
from devices.models import HistoryEntry, Home, Message, Room, Thing
from tests.factories import PASSWORD, LinkedAccountFactory, MembershipFactory, UserFactory

OWNER = "owner@backup.example"
MEMBER = "member@backup.example"
ACCESS, REFRESH = "at-backup-secret-0123456789", "rt-backup-secret-9876543210"


@scopes_disabled()
def create() -> None:
    smiths = Household.objects.create(name="Backup Smiths", time_zone="Europe/Berlin")
    joneses = Household.objects.create(name="Backup Joneses")
    owner = UserFactory(email=OWNER)
    MembershipFactory(user=owner, household=smiths, role=Role.OWNER)
    MembershipFactory(user=UserFactory(email=MEMBER), household=smiths, role=Role.MEMBER)
    MembershipFactory(user=owner, household=joneses, role=Role.ADMIN)
    account = LinkedAccountFactory(
        household=smiths, label="Smiths' cloud", access_token=ACCESS, refresh_token=REFRESH
    )
    home = Home.objects.create(household=smiths, account=account, cloud_id="home-1", name="Flat")
    room = Room.objects.create(household=smiths, home=home, cloud_id="room-1", name="Kitchen")
    thing = Thing.objects.create(
        household=smiths,
        account=account,
        cloud_id="1000aa0001",
        item_type=1,
        name="Kettle",
        uiid=1,
        params={"switch": "on"},
        home=home,
        room=room,
    )
    Message.objects.create(
        household=smiths, account=account, home=home, msgid="msg-1", msg_type="share",
        payload={"from": "a friend"}, date=timezone.now(),
    )  # fmt: skip
    TaskRun.objects.create(household=smiths, account=account, task="sync_history", ok=True)
    start = timezone.now() - timedelta(days=2)
    for minute in range(5):
        HistoryEntry.objects.create(
            household=smiths,
            thing=thing,
            ops_time=start + timedelta(minutes=minute),
            user_agent="app",
            request={"switch": "on" if minute % 2 else "off"},
            fingerprint=f"fp-{minute}",
        )


@scopes_disabled()
def check() -> None:
    account = LinkedAccount.objects.get(label="Smiths' cloud")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM accounts_linkedaccount WHERE id = %s",
            [account.pk],
        )
        stored = cursor.fetchone()
    thing = Thing.objects.get(cloud_id="1000aa0001")
    # A row made after the restore must get a fresh id (sequences follow the loaded rows).
    Household.objects.create(name="Made after the restore")
    facts = {
        "households": sorted(Household.objects.values_list("name", flat=True)),
        "memberships": sorted(
            [m.user.email, m.household.name, m.role] for m in Membership.objects.all()
        ),
        "tokens": [account.access_token, account.refresh_token],
        "account_status": account.status,
        "stored_in_clear": any(secret in "".join(stored) for secret in (ACCESS, REFRESH)),
        "stored_opens_with_site_key": all(
            decrypts(value, settings.FIELD_ENCRYPTION_KEYS[:1]) for value in stored
        ),
        "thing": [thing.name, thing.params, thing.room.name, thing.home.name],
        "history": list(
            HistoryEntry.objects.filter(thing=thing)
            .order_by("ops_time")
            .values_list("fingerprint", "request")
        ),
        "message": list(Message.objects.values_list("msgid", "payload", "read_at")),
        "task_runs": list(TaskRun.objects.values_list("task", "ok", "skipped")),
        "owner_password_works": get_user_model()
        .objects.get(username=OWNER)
        .check_password(PASSWORD),
    }
    print("FACTS " + json.dumps(facts))
