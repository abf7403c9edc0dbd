"""Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_scopes import scopes_disabled

from accounts.models import LinkedAccount


class Command(BaseCommand):
    help = (
        "After putting a new key first in FIELD_ENCRYPTION_KEYS, re-encrypt all tokens with it; "
        "then the old keys can be removed."
    )

    def handle(self, *args: object, **options: object) -> None:
        rows = 0
        with transaction.atomic(), scopes_disabled():
            # Loading decrypts with whichever key fits; saving encrypts with the first key.
            for account in LinkedAccount.objects.select_for_update():
                LinkedAccount.objects.filter(pk=account.pk).update(
                    access_token=account.access_token, refresh_token=account.refresh_token
                )
                rows += 1
        self.stdout.write(f"Re-encrypted the tokens of {rows} linked account(s).")
