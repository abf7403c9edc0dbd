"""The installed release of the dashboard, read from the package metadata (pyproject.toml)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

from packaging.version import Version

DISTRIBUTION = "ewelink-dashboard"


@cache
def current() -> str:
    """The version string pip installed, e.g. "0.1.0" ("0+unknown" when run uninstalled)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


def is_newer(other: str, than: str | None = None) -> bool:
    """Whether release `other` is later than `than` (default: this installation)."""
    return Version(other) > Version(than or current())
