from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from accounts.models import LinkedAccount
from tests.factories import LinkedAccountFactory


def _stored(account: LinkedAccount) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM accounts_linkedaccount WHERE id = %s",
            [account.pk],
        )
        return cursor.fetchone()


def test_tokens_are_stored_encrypted_and_read_in_clear(db, unscoped):
    account = LinkedAccountFactory(access_token="the-access", refresh_token="the-refresh")
    stored = _stored(account)
    assert "the-access" not in stored[0]
    assert "the-refresh" not in stored[1]
    fresh = LinkedAccount.objects.get(pk=account.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("the-access", "the-refresh")


def test_key_rotation_reencrypts_under_the_new_first_key(db, settings, unscoped):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    account = LinkedAccountFactory(access_token="keep-me")
    before = _stored(account)[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert LinkedAccount.objects.get(pk=account.pk).access_token == "keep-me"  # old key decrypts
    call_command("rotate_encryption_keys", stdout=StringIO())
    after = _stored(account)[0]
    assert after != before
    assert Fernet(new_key.encode()).decrypt(after.encode()) == b"keep-me"
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can go now
    assert LinkedAccount.objects.get(pk=account.pk).access_token == "keep-me"


def test_a_removed_key_is_a_clear_configuration_error(db, settings, unscoped):
    account = LinkedAccountFactory(access_token="x")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="was a key removed"):
        LinkedAccount.objects.get(pk=account.pk)
