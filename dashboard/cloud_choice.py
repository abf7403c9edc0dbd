"""Which cloud `make run` talks to: the simulator, unless the settings name a real one.

App credentials without a base URL mean the real eWeLink cloud (README, "On the real cloud");
a base URL means that cloud (a simulator or proxy someone runs); neither means cloudsim with
its demo accounts.
"""

from __future__ import annotations


def uses_simulator(environ: dict[str, str]) -> bool:
    """True when the launcher should start cloudsim and point the app at it."""
    if environ.get("EWELINK_BASE_URL"):
        return False
    return not (_given(environ, "EWELINK_APP_ID") and _given(environ, "EWELINK_APP_SECRET"))


def cloud_note(environ: dict[str, str]) -> str:
    """The banner's line for a cloud the launcher does not start."""
    base = environ.get("EWELINK_BASE_URL", "")
    if base:
        return f"Cloud: {base}"
    return "Cloud: the real eWeLink cloud (no demo); check it with `manage.py doctor`"


def _given(environ: dict[str, str], name: str) -> bool:
    return bool(environ.get(name) or environ.get(f"{name}_FILE"))
