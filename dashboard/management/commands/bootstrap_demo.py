"""Create the demo household and its owner for the embedded default (idempotent)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts import services

DEMO_EMAIL = "demo@example.com"
DEMO_HOUSEHOLD = "Demo household"


class Command(BaseCommand):
    help = "Create the demo household (owner demo@example.com) and remember its password in var/."

    def handle(self, *args: object, **options: object) -> None:
        credentials = settings.VAR_DIR / "demo_credentials"
        if get_user_model().objects.filter(username=DEMO_EMAIL).exists():
            self.stdout.write("Demo household already exists.")
            return
        password = secrets.token_urlsafe(9)
        services.sign_up(DEMO_EMAIL, password, DEMO_HOUSEHOLD)
        credentials.touch(mode=0o600)
        credentials.write_text(f"{DEMO_EMAIL} / {password}\n")
        self.stdout.write(f"Demo household created: sign in as {DEMO_EMAIL} / {password}")
