"""Reading the environment strictly: a malformed value stops start-up with a clear message."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured


class StrictEnv(environ.Env):
    """`environ.Env` whose casts turn bad values into ImproperlyConfigured naming the variable.

    An empty value counts as unset, so a copied .env.example with blanks keeps the defaults.
    """

    _TRUE = {"1", "true", "yes", "on"}
    _FALSE = {"0", "false", "no", "off"}

    def bool(self, var: str, default: object = environ.Env.NOTSET) -> bool:  # type: ignore[override]
        if not self.ENVIRON.get(var, "").strip():
            return self._default(var, default, bool)
        raw = self.ENVIRON[var]
        value = raw.strip().lower()
        if value in self._TRUE:
            return True
        if value in self._FALSE:
            return False
        raise ImproperlyConfigured(f"{var} must be a boolean (true/false/1/0), got {raw!r}")

    def int(self, var: str, default: object = environ.Env.NOTSET) -> int:  # type: ignore[override]
        if not self.ENVIRON.get(var, "").strip():
            return self._default(var, default, int)
        raw = self.ENVIRON[var]
        try:
            return int(raw.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{var} must be an integer, got {raw!r}") from None

    @staticmethod
    def _default(var: str, default: object, cast: type) -> Any:
        if default is environ.Env.NOTSET:
            raise ImproperlyConfigured(f"Set the {var} environment variable")
        return cast(default)

    def db_url(self, var: str = "DATABASE_URL", default: object = environ.Env.NOTSET, engine=None):  # type: ignore[no-untyped-def,override]
        raw = self.str(var, default="") or default
        scheme = str(raw).split("://", 1)[0]
        if "://" not in str(raw) or scheme not in self.DB_SCHEMES:
            known = ", ".join(sorted(self.DB_SCHEMES))
            raise ImproperlyConfigured(
                f"{var} has an unsupported scheme {scheme!r}; use one of {known}"
            )
        return self.db_url_config(raw, engine=engine)


def load_env(dotenv: Path) -> StrictEnv:
    """Return the environment reader, with `.env` (if present) filling unset variables."""
    env = StrictEnv()
    if dotenv.is_file():
        environ.Env.read_env(str(dotenv), overwrite=False)
    return env


def read_file_secret(env: environ.Env, name: str) -> str | None:
    """Value of NAME, or the content of the file NAME_FILE names (Docker secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return env.str(name, default="") or None


def persistent_secret(path: Path, *, kind: str) -> str:
    """A development secret generated once and kept in a private file so restarts keep it.

    Processes started together on a fresh install (the web server, the worker, Celery; the
    tests' collectstatic beside migrate) all ask for it at once: the file appears with its
    whole value or not at all (written aside, then hard-linked in place, which fails if
    another process was first), and everyone then uses the one that is there. A plain
    create-then-write let a process read it empty, or keep a key it had made itself that
    another had just overwritten (its tokens unreadable by the others)."""
    if path.is_file():
        return path.read_text().strip()
    value = Fernet.generate_key().decode() if kind == "fernet" else secrets.token_urlsafe(50)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(value)
        try:
            os.link(aside, path)
        except FileExistsError:  # another process was first: its value is the one
            return path.read_text().strip()
        except OSError:  # a file system without hard links: create it, unless one exists
            _create_once(path, value)
            return path.read_text().strip()
    finally:
        aside.unlink(missing_ok=True)
    return value


def _create_once(path: Path, value: str) -> None:
    """`path` holding `value`, unless it exists (a reader may then see it empty briefly)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as out:
        out.write(value)


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})

# How to make each key by hand; said in the error when one is missing.
KEY_COMMANDS = {
    "SECRET_KEY": 'python -c "import secrets; print(secrets.token_urlsafe(50))"',
    "FIELD_ENCRYPTION_KEYS": (
        'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
    ),
}
# File name under KEYS_DIR, and the kind of secret generated.
_KEY_FILES = {
    "SECRET_KEY": ("secret_key", "django"),
    "FIELD_ENCRYPTION_KEYS": ("field_encryption_key", "fernet"),
}


def only_loopback(hosts: list[str]) -> bool:
    """Whether the site answers to this machine's own names only (the embedded default)."""
    return bool(hosts) and all(host.lower() in LOOPBACK_HOSTS for host in hosts)


def check_fernet_keys(keys: list[str]) -> None:
    """Stop start-up on a key Fernet cannot use, before any token is written with it."""
    command = KEY_COMMANDS["FIELD_ENCRYPTION_KEYS"]
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe "
                f"base64-encoded bytes). Generate one with\n    {command}"
            ) from None


def generated_key(name: str, keys_dir: Path, var_dir: Path, *, allowed: bool) -> str:
    """The key NAME generated once under keys_dir, or a clear error when it must be given.

    Keys generated before they had their own directory (directly in var_dir, beside the
    SQLite database) are moved there, so existing tokens stay readable.
    """
    filename, kind = _KEY_FILES[name]
    if not allowed:
        file_hint = (
            " (or SECRET_KEY_FILE naming a file that holds it)" if name == "SECRET_KEY" else ""
        )
        raise ImproperlyConfigured(
            f"Set {name}: this site is served beyond this machine (HTTPS, an ALLOWED_HOSTS "
            f"entry that is not local, or GENERATED_KEYS=false as in the container image), where "
            f"a key generated by one process would not be shared with the others. Generate one "
            f"with\n    {KEY_COMMANDS[name]}\nand put {name}=<value> in .env{file_hint}. Back it "
            f"up with the database: without it the linked accounts' tokens cannot be read."
        )
    path = keys_dir / filename
    legacy = var_dir / filename
    if not path.exists() and legacy.is_file():
        keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):  # another process moved it first
            legacy.rename(path)
    return persistent_secret(path, kind=kind)


def redis_url_for_celery(url: str) -> str:
    """REDIS_URL as Kombu wants it; user, password, database and query are kept as they are.

    Kombu spells a unix-socket Redis `redis+socket://` where redis-py says `unix://`, and it
    only turns TLS on for `rediss://` when the URL says how to check the certificate, so a
    `rediss://` URL without `ssl_cert_reqs` gets `ssl_cert_reqs=required` (what redis-py
    does by default for the other clients).
    """
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    if url.startswith("rediss://") and "ssl_cert_reqs=" not in url:
        return url + ("&" if "?" in url else "?") + "ssl_cert_reqs=required"
    return url
