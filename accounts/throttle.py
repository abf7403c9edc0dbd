"""A per-username limit on failed sign-ins that no change of address gets around.

django-axes locks a username+address pair (LOGIN_FAILURE_LIMIT failures, then
LOGIN_LOCKOUT_MINUTES). An attacker rotating addresses is not slowed by that, so on top of
it: once a username has LOGIN_USERNAME_FAILURE_LIMIT failures from any addresses within
LOGIN_USERNAME_WINDOW_MINUTES, each further attempt for it must wait
LOGIN_USERNAME_DELAY_SECONDS after the last failure. Guessing slows to one try per delay,
while the owner gets in after that short wait, and at once from an address they have
signed in from before (axes' AccessLog), which a rotating attacker does not have.

The failures are axes' own AccessFailureLog rows (AXES_ENABLE_ACCESS_FAILURE_LOG); a refused
attempt is not recorded (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT=False), so waiting
owners do not prolong it.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dashboard.client_ip import client_ip

# Set on a request refused by this limit: the seconds left to wait.
WAIT_ATTRIBUTE = "login_throttle_wait"


def retry_after(username: str, address: str | None) -> float:
    """Seconds `username` must wait before its next attempt from `address` (0: go ahead)."""
    now = timezone.now()
    failures = AccessFailureLog.objects.filter(
        username=username, attempt_time__gte=now - settings.LOGIN_USERNAME_WINDOW
    ).aggregate(count=Count("id"), last=Max("attempt_time"))
    if failures["count"] < settings.LOGIN_USERNAME_FAILURE_LIMIT:
        return 0.0
    wait = (failures["last"] + settings.LOGIN_USERNAME_DELAY - now).total_seconds()
    if wait <= 0:
        return 0.0
    known = AccessLog.objects.filter(
        username=username,
        ip_address=address,
        attempt_time__gte=now - settings.LOGIN_KNOWN_ADDRESS_AGE,
    )
    return 0.0 if address and known.exists() else wait


class UsernameThrottleBackend:
    """Listed before ModelBackend: refuses a throttled username, else lets the others decide.

    No `get_user`: it never signs anyone in, and Django picks the first backend that has
    one for `force_login` and sessions.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, **kwargs: Any
    ) -> None:
        if request is None or not username:
            return
        wait = retry_after(username, client_ip(request))
        if wait:
            setattr(request, WAIT_ATTRIBUTE, wait)
            request.axes_locked_out = True  # type: ignore[attr-defined]  # AxesMiddleware answers
            raise PermissionDenied("too many failed sign-ins for this username")


def _in_words(delta: timedelta) -> str:
    seconds = max(1, math.ceil(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with how long to wait, for either limit."""
    wait = getattr(request, WAIT_ATTRIBUTE, None)
    if wait is not None:
        delta, template = timedelta(seconds=wait), "accounts/login_throttled.html"
    else:
        delta, template = get_cool_off(request) or timedelta(0), settings.AXES_LOCKOUT_TEMPLATE
    response = render(request, template, {"cooloff_time": _in_words(delta)}, status=429)
    response["Retry-After"] = str(max(1, math.ceil(delta.total_seconds())))
    return response
