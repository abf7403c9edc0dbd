"""Reading the environment strictly: a malformed value stops start-up with a clear message."""

from __future__ import annotations

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
    """A development secret generated once and kept under var/ so restarts keep sessions."""
    if path.is_file():
        return path.read_text().strip()
    value = Fernet.generate_key().decode() if kind == "fernet" else secrets.token_urlsafe(50)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


def redis_url_for_celery(url: str) -> str:
    """Kombu spells a unix-socket Redis `redis+socket://`; redis-py spells it `unix://`."""
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    return url
