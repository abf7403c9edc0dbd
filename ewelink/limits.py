"""Documented request limits, checked before anything is sent."""

from __future__ import annotations

from collections.abc import Sized

from ewelink.errors import LimitError

MAX_SPECIFIED_THINGS = 10
MAX_BATCH_THINGS = 10
MAX_BATCH_TIMEOUT_MS = 8000
MAX_GROUP_DEVICES = 30
MAX_OTA_DEVICES = 30
MAX_PAGE = 30  # history and messages: 1 <= num <= 30
MAX_ROOMS_PER_HOME = 100


def check_count(what: str, items: Sized, low: int, high: int) -> None:
    """Raise LimitError unless ``low <= len(items) <= high``."""
    if not low <= len(items) <= high:
        raise LimitError(f"{what} must hold {low}..{high} items, got {len(items)}")


def check_range(what: str, value: int, low: int, high: int) -> None:
    """Raise LimitError unless ``low <= value <= high``."""
    if not low <= value <= high:
        raise LimitError(f"{what} must be within {low}..{high}, got {value}")


def check_unique(what: str, ids: list[str]) -> None:
    """Raise LimitError when an id repeats (the batch endpoint rejects duplicates)."""
    if len(set(ids)) != len(ids):
        raise LimitError(f"{what} must not repeat an id")


def check_not_empty(what: str, value: str) -> None:
    """Raise LimitError for an empty required string."""
    if not value:
        raise LimitError(f"{what} must not be empty")
