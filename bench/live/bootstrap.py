"""Django side of the benchmark's set-up, run as a subprocess with the benchmark's env.

stdin: {"owner_email", "owner_password", "household", "accounts": [{"email","password"}]}
stdout (last line): {"household": id, "things": {pk: deviceid}, "accounts": n, "seconds": s}

Creates the owner and one household, links every account by password login (app `dash`)
and syncs it: exactly what the "link with password" page does, minus the HTTP.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django

django.setup()

from django.db import connection, connections  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

import ewelink  # noqa: E402
from accounts.linking import link_with_password  # noqa: E402
from accounts.models import Membership  # noqa: E402
from accounts.services import memberships_of, sign_up  # noqa: E402
from devices.models import Thing  # noqa: E402
from devices.sync import sync_account  # noqa: E402

LINK_THREADS = 6


def _link_one(owner: Membership, i: int, acc: dict[str, Any]) -> None:
    linked = link_with_password(
        owner, identifier=acc["email"], password=acc["password"], country_code="+44",
        label=f"bench {i}",
    )  # fmt: skip
    sync_account(linked.pk)


def main() -> None:
    spec = json.loads(sys.stdin.read())
    ewelink.set_default_governor(ewelink.Governor(enabled=False))
    started = time.monotonic()
    user, household = sign_up(spec["owner_email"], spec["owner_password"], spec["household"])
    owner = memberships_of(user)[0]
    accounts = spec["accounts"]
    # Linking is a login and a sync, mostly waiting on cloudsim and the database: on
    # PostgreSQL several at once (300 accounts on a busy machine: 36.5 s one by one, 13.9 s
    # six at once); SQLite takes one writer at a time, so there they go in turn.
    workers = LINK_THREADS if connection.vendor == "postgresql" else 1
    done = iter(range(1, len(accounts) + 1))
    lock = threading.Lock()

    def link(numbered: tuple[int, dict[str, Any]]) -> None:
        i, acc = numbered
        try:
            _link_one(owner, i, acc)
        finally:
            connections.close_all()  # this thread's own connection
        with lock:
            count = next(done)
        if count % 100 == 0:
            print(f"linked {count}/{len(accounts)}", file=sys.stderr, flush=True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(link, enumerate(accounts)))  # list(): an error in a thread surfaces here
    with scopes_disabled():
        things = dict(
            Thing.objects.filter(household=household, kind="device").values_list("pk", "cloud_id")
        )
    print(
        json.dumps(
            {
                "household": household.pk,
                "things": {str(k): v for k, v in things.items()},
                "accounts": len(spec["accounts"]),
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
