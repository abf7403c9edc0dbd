"""FIELD_ENCRYPTION_KEYS wrapped by a passphrase: scrypt derives a Fernet key from it."""

from __future__ import annotations

import base64
import json
import os

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# scrypt cost: about 0.1 s and 32 MiB per guess on a current CPU (RFC 7914's interactive
# figure raised by 2^1), paid once per backup and restore.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


class WrongPassphrase(Exception):
    """The passphrase does not open the keys in the backup."""


def _fernet(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> Fernet:
    key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)
    return Fernet(base64.urlsafe_b64encode(key))


def wrap(keys: list[str], passphrase: bytes) -> bytes:
    """The keys as JSON, encrypted under a key derived from the passphrase."""
    salt = os.urandom(16)
    token = _fernet(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P).encrypt(
        json.dumps({"FIELD_ENCRYPTION_KEYS": keys}).encode()
    )
    envelope = {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": base64.b64encode(salt).decode(),
        "fernet": token.decode(),
    }
    return json.dumps(envelope).encode()


def unwrap(blob: bytes, passphrase: bytes) -> list[str]:
    envelope = json.loads(blob)
    if envelope.get("kdf") != "scrypt":
        raise ValueError(f"unknown key derivation {envelope.get('kdf')!r}")
    fernet = _fernet(
        passphrase,
        base64.b64decode(envelope["salt"]),
        int(envelope["n"]),
        int(envelope["r"]),
        int(envelope["p"]),
    )
    try:
        plain = fernet.decrypt(envelope["fernet"].encode())
    except InvalidToken:
        raise WrongPassphrase("the passphrase does not open this backup's keys") from None
    return list(json.loads(plain)["FIELD_ENCRYPTION_KEYS"])


def read_passphrase(path: str) -> bytes:
    """The passphrase file's content without its trailing newline; never empty."""
    with open(path, "rb") as handle:
        passphrase = handle.read().rstrip(b"\r\n")
    if not passphrase:
        raise ValueError(f"{path} is empty")
    return passphrase
