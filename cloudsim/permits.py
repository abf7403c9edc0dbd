"""What a share's `permit` lets a sharee do.

The API document defines permit bits for timers only (1 create, 2 edit, 4 delete, 8 enable);
switching and other params are open to every sharee. `timers` is always sent whole, so the
rights a change needs come from comparing it with the stored array by `mId`.
"""

from __future__ import annotations

from typing import Any

CREATE, EDIT, DELETE, ENABLE = 1, 2, 4, 8
NAMES = {CREATE: "create", EDIT: "edit", DELETE: "delete", ENABLE: "enable"}


def by_mid(timers: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(timers, list):
        return {}
    return {t["mId"]: t for t in timers if isinstance(t, dict) and isinstance(t.get("mId"), str)}


def timer_rights_needed(stored: Any, sent: Any) -> int:
    """The permit bits needed to turn the stored `timers` into the sent ones."""
    before, after = by_mid(stored), by_mid(sent)
    needed = 0
    if after.keys() - before.keys():
        needed |= CREATE
    if before.keys() - after.keys():
        needed |= DELETE
    for mid in before.keys() & after.keys():
        old, new = before[mid], after[mid]
        if old.get("enabled") != new.get("enabled"):
            needed |= ENABLE
        if _without_enabled(old) != _without_enabled(new):
            needed |= EDIT
    return needed


def missing_rights(permit: int, stored: Any, sent: Any) -> list[str]:
    """Names of the timer rights the change needs and the permit lacks (empty = allowed)."""
    lacking = timer_rights_needed(stored, sent) & ~permit
    return [name for bit, name in NAMES.items() if lacking & bit]


def _without_enabled(timer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in timer.items() if k != "enabled"}
