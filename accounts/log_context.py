"""What a log line is about: the request, household, account and thing being worked on.

Context variables, so each request, page socket, account connection and job carries its own
(asyncio tasks inherit them from the task that started them). They are set where the work
begins — the request middleware, the page consumer's connect, the realtime worker's account
connection, the job base — and `ContextFilter` puts them on every record logged meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

FIELDS = ("request_id", "household", "account", "thing")
_vars: dict[str, ContextVar[object | None]] = {
    name: ContextVar(f"log_{name}", default=None) for name in FIELDS
}


def bind(**values: object) -> dict[str, Token[object | None]]:
    """Set some fields for the rest of this context (task, thread); returns reset tokens."""
    return {name: _vars[name].set(value) for name, value in values.items()}


def unbind(tokens: dict[str, Token[object | None]]) -> None:
    """Undo a `bind`."""
    for name, token in tokens.items():
        _vars[name].reset(token)


@contextmanager
def bound(**values: object) -> Iterator[None]:
    """Set some fields for the duration of a block."""
    tokens = bind(**values)
    try:
        yield
    finally:
        unbind(tokens)


def current() -> dict[str, object]:
    """The fields set now (those unset are left out)."""
    values = {name: var.get() for name, var in _vars.items()}
    return {name: value for name, value in values.items() if value is not None}


class ContextFilter(logging.Filter):
    """Adds the context to every record: one attribute per field (None when unset) and
    `context`, the set ones as ` [household=3 account=7]` for the plain format."""

    def filter(self, record: logging.LogRecord) -> bool:
        values = current() or _from_request(getattr(record, "request", None))
        for name in FIELDS:
            setattr(record, name, values.get(name))
        text = " ".join(f"{name}={value}" for name, value in values.items())
        record.context = f" [{text}]" if text else ""
        return True


def _from_request(request: object) -> dict[str, object]:
    """Django logs a 4xx/5xx answer after the middleware (and its context) is done, with the
    request attached: the ids are read from it instead."""
    values: dict[str, object] = {}
    request_id = getattr(request, "request_id", None)
    if request_id is not None:
        values["request_id"] = request_id
    membership = getattr(request, "membership", None)
    if membership is not None:
        values["household"] = membership.household_id
    return values
