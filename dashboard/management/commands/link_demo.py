"""Link cloudsim's demo accounts to the demo household and load their devices (idempotent)."""

from __future__ import annotations

import time
import urllib.request

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from accounts import linking
from accounts.models import LinkedAccount, LinkStatus, Membership
from dashboard.management.commands.bootstrap_demo import DEMO_EMAIL
from devices.sync import sync_account


class Command(BaseCommand):
    help = "Link the simulated cloud's demo accounts to the demo household (make run does this)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--wait", type=float, default=60, help="seconds to wait for cloudsim")

    def handle(self, *args: object, **options: object) -> None:
        from cloudsim.demo import ACCOUNTS  # the demo's published sign-ins

        if not settings.EWELINK_BASE_URL:
            raise CommandError("EWELINK_BASE_URL is not set: link_demo is for the simulated cloud")
        self._wait_for_cloud(float(options["wait"]))  # type: ignore[arg-type]
        with scopes_disabled():
            owner = Membership.objects.select_related("household", "user").get(
                user=get_user_model().objects.get(username=DEMO_EMAIL)
            )
        for region, email, password, country_code, nickname in ACCOUNTS:
            self._link(owner, email, password, country_code, f"{nickname} ({region.upper()})")

    def _link(self, owner: Membership, email: str, password: str, cc: str, label: str) -> None:
        with scopes_disabled():
            existing = LinkedAccount.objects.filter(identifier=email).first()
        if existing is None or existing.status != LinkStatus.ACTIVE:
            existing = linking.link_with_password(
                owner, identifier=email, password=password, country_code=cc, label=label
            )
        result = sync_account(existing.pk)
        things = sum(result.created.values())
        self.stdout.write(f"Demo account {email} linked ({things} new rows)")

    def _wait_for_cloud(self, timeout: float) -> None:
        health = settings.EWELINK_BASE_URL.replace("/{region}", "") + "/_sim/health"
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(health, timeout=2):  # noqa: S310 - our own cloudsim
                    return
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"cloudsim did not answer at {health}: {exc}") from None
                time.sleep(0.5)
