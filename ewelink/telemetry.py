"""Hooks a host registers to count what the client does; ewelink itself keeps no metrics.

The host (the dashboard's metrics, say) sets the hooks once per process; every client and
governor of the process then reports through them. Unset hooks cost one attribute check.
A hook that raises is logged at debug level and never fails the call it reports on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

_LOG = logging.getLogger(__name__)

# Every REST answer, or its absence: the path called and the cloud's code (0 for a success,
# an HTTP status when the answer had no code, None when no answer came at all).
CallHook = Callable[[str, "int | None"], None]
# The governor granted a call to an interface after waiting this many seconds (0: at once).
PacedHook = Callable[[str, float], None]
# The governor turned an account away for now: it had used its share of the window.
RefusedHook = Callable[[str], None]


@dataclass
class Hooks:
    """The process's hooks; None where the host counts nothing."""

    call: CallHook | None = None
    paced: PacedHook | None = None
    refused: RefusedHook | None = None


hooks = Hooks()


def set_hooks(new: Hooks) -> None:
    """Replace the process's hooks (the host at start-up, or a test)."""
    global hooks
    hooks = new


def report_call(path: str, code: int | None) -> None:
    """Tell the host's call hook about one REST answer."""
    hook = hooks.call
    if hook is not None:
        _safely(hook, path, code)


def report_paced(interface: str, waited: float) -> None:
    """Tell the host's paced hook that a call was granted after `waited` seconds."""
    hook = hooks.paced
    if hook is not None:
        _safely(hook, interface, waited)


def report_refused(interface: str) -> None:
    """Tell the host's refused hook that an account was over its share of the window."""
    hook = hooks.refused
    if hook is not None:
        _safely(hook, interface)


def _safely(hook: Callable[..., None], *args: object) -> None:
    try:
        hook(*args)
    except Exception:  # counting is a nicety: the call's own outcome matters more
        _LOG.debug("telemetry hook %r failed", hook, exc_info=True)
