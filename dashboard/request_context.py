"""A request id on every request: the caller's X-Request-ID when well formed, else a new one.

It is set for logging (accounts/log_context.py) for the whole request and sent back in the
response's X-Request-ID, so a line in the logs can be found from a report of one request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts import log_context

HEADER = "X-Request-ID"
# What a proxy or load balancer puts there (UUIDs, hex, base64url): anything else — spaces,
# quotes, newlines that could forge log lines, or a novel — is replaced, not logged.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:+=/-]{8,128}")


def request_id_from(header: str | None) -> str:
    """The incoming id if well formed, else a fresh one."""
    if header and WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Binds the request id for logging and echoes it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        with log_context.bound(request_id=request_id):
            response = self.get_response(request)
        response[HEADER] = request_id
        return response
