"""Encryption at rest for cloud tokens, with keys separate from SECRET_KEY and rotatable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid key: {exc}") from None


def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


setting_changed.connect(_reset)


def encrypt(value: str) -> str:
    """Ciphertext under the first key."""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    """Plaintext, trying every key; an unknown key is a configuration error, said plainly."""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: was a key removed?"
        ) from None


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column stored as Fernet ciphertext; Python code only sees plaintext.

    Serialization (dumpdata, fixtures) carries the ciphertext too, so no export holds a
    token in clear; loading such an export decrypts it back.
    """

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return encrypt(value) if value else ""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("gAAAA"):
            try:
                return _fernet().decrypt(value.encode()).decode()
            except InvalidToken:
                return value
        return value

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return decrypt(value) if value else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


@contextmanager
def also_decrypting(keys: list[str]) -> Iterator[None]:
    """Within the block these keys decrypt too; this site's first key still encrypts.

    Restoring a backup made under another site's keys reads its tokens with them and stores
    them under this site's key.
    """
    from django.test.utils import override_settings  # signals the cache reset above

    current = list(settings.FIELD_ENCRYPTION_KEYS)
    extra = [key for key in keys if key not in current]
    with override_settings(FIELD_ENCRYPTION_KEYS=current + extra):
        yield


def decrypts(value: str, keys: list[str]) -> bool:
    """Whether one of `keys` opens this ciphertext."""
    try:
        MultiFernet([Fernet(key.encode()) for key in keys]).decrypt(value.encode())
    except InvalidToken:
        return False
    return True
