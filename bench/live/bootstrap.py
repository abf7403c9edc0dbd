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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django

django.setup()

from django_scopes import scopes_disabled  # noqa: E402

import ewelink  # noqa: E402
from accounts.linking import link_with_password  # noqa: E402
from accounts.services import memberships_of, sign_up  # noqa: E402
from devices.models import Thing  # noqa: E402
from devices.sync import sync_account  # noqa: E402


def main() -> None:
    spec = json.loads(sys.stdin.read())
    ewelink.set_default_governor(ewelink.Governor(enabled=False))
    started = time.monotonic()
    user, household = sign_up(spec["owner_email"], spec["owner_password"], spec["household"])
    owner = memberships_of(user)[0]
    for i, acc in enumerate(spec["accounts"]):
        linked = link_with_password(
            owner,
            identifier=acc["email"],
            password=acc["password"],
            country_code="+44",
            label=f"bench {i}",
        )
        sync_account(linked.pk)
        if (i + 1) % 100 == 0:
            print(f"linked {i + 1}/{len(spec['accounts'])}", file=sys.stderr, flush=True)
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
