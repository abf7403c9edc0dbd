"""Checks of a real-cloud configuration before first use (`manage.py doctor`).

Each check says what it found and, when something is wrong, what to change. The cloud is asked
one harmless signed question (ewelink/probe.py); nothing is linked, created or revoked.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from django.conf import settings
from django.http.request import validate_host
from django.urls import reverse

from ewelink.probe import ProbeResult, probe_signing
from ewelink.regions import Region

# Tokens expire and OAuth `seq` values are judged by the cloud's clock; a minute is plenty.
MAX_CLOCK_SKEW_S = 60.0


@dataclass(frozen=True)
class Finding:
    """One check's result: fine, or a problem with what to fix."""

    check: str
    ok: bool
    message: str

    def line(self) -> str:
        """How the command prints it."""
        return f"{'ok     ' if self.ok else 'PROBLEM'} {self.check}: {self.message}"


def default_url() -> str:
    """The URL people open: SITE_URL or PHONE_URL if set, else what `make run` serves."""
    site = (
        getattr(settings, "SITE_URL", "")
        or os.environ.get("SITE_URL", "")
        or getattr(settings, "PHONE_URL", "")
    )
    if site:
        return site if site.endswith("/") else site + "/"
    host = os.environ.get("HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('PORT', '8000')}/"


def oauth_redirect_url(url: str) -> str:
    """The redirect URL to register with the eWeLink app for a site served at `url`."""
    return url.rstrip("/") + reverse("accounts:link_oauth_callback")


def run_checks(url: str, region: Region, *, now: Callable[[], float] = time.time) -> list[Finding]:
    """Every check, in the order a newcomer would fix them."""
    findings = [cloud_finding(), *check_url(url)]
    credentials = check_credentials()
    findings.append(credentials)
    if credentials.ok:
        started = now()
        result = asyncio.run(_probe(region))
        findings.append(signing_finding(result, region))
        if result.outcome in ("ok", "bad_signature", "not_allowed"):
            findings.append(clock_finding(result.server_epoch, (started + now()) / 2))
    return findings


def cloud_finding() -> Finding:
    """Which cloud the settings point at (cloudsim and the demo run only without a base URL)."""
    if settings.EWELINK_BASE_URL:
        return Finding(
            "cloud",
            True,
            f"EWELINK_BASE_URL={settings.EWELINK_BASE_URL} (a simulator or proxy); "
            "leave it empty for the real eWeLink cloud",
        )
    return Finding("cloud", True, "the real eWeLink cloud (EWELINK_BASE_URL is empty)")


def check_credentials() -> Finding:
    """The app id and secret are set (the secret never printed)."""
    missing = [
        name for name in ("EWELINK_APP_ID", "EWELINK_APP_SECRET") if not getattr(settings, name, "")
    ]
    if missing:
        return Finding(
            "credentials",
            False,
            f"{' and '.join(missing)} not set. Create an app in the eWeLink developer centre "
            "and put its APPID and APP SECRET in .env (see README, 'On the real cloud').",
        )
    return Finding("credentials", True, f"app id {settings.EWELINK_APP_ID} and a secret are set")


def signing_finding(result: ProbeResult, region: Region) -> Finding:
    """What the probe's answer says about the app id and secret."""
    where = _cloud_name(region)
    if result.outcome == "ok":
        return Finding("signing", True, f"{where} accepted the app id and signature")
    if result.outcome == "bad_signature":
        return Finding(
            "signing",
            False,
            f"{where} rejected the signature ({result.detail}): EWELINK_APP_SECRET is wrong "
            "or does not belong to EWELINK_APP_ID. Copy both again from the developer centre.",
        )
    if result.outcome == "not_allowed":
        return Finding(
            "signing",
            False,
            f"{where} does not allow this app id the OAuth path ({result.detail}): check the "
            "app's status and type in the developer centre.",
        )
    if result.outcome == "unreachable":
        return Finding(
            "signing",
            False,
            f"could not reach {where} ({result.detail}): check the network, DNS and "
            "EWELINK_BASE_URL (empty for the real cloud).",
        )
    return Finding("signing", False, f"{where} answered something unexpected: {result.detail}")


def clock_finding(server_epoch: float | None, local_epoch: float) -> Finding:
    """Whether this machine's clock agrees with the cloud's (its Date header)."""
    if server_epoch is None:
        return Finding("clock", False, "the cloud's answer had no Date header to compare with")
    skew = local_epoch - server_epoch
    # The Date header has whole seconds: allow one more.
    if abs(skew) > MAX_CLOCK_SKEW_S + 1:
        way = "ahead of" if skew > 0 else "behind"
        return Finding(
            "clock",
            False,
            f"this machine's clock is {abs(skew):.0f} s {way} the cloud's. Turn on time sync "
            "(e.g. `timedatectl set-ntp true`): tokens and OAuth codes are judged by time.",
        )
    return Finding("clock", True, f"within {abs(skew):.0f} s of the cloud's")


def check_url(url: str) -> list[Finding]:
    """ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS let the site answer and accept forms at `url`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            Finding("url", False, f"{url!r} is not an http(s) URL; give --url http://host:port/")
        ]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    findings = []
    if validate_host(host, settings.ALLOWED_HOSTS):
        findings.append(Finding("allowed hosts", True, f"{host} is in ALLOWED_HOSTS"))
    else:
        findings.append(
            Finding(
                "allowed hosts",
                False,
                f"{host} is not in ALLOWED_HOSTS ({', '.join(settings.ALLOWED_HOSTS)}): add it, "
                "or the site answers 400 Bad Request at that address.",
            )
        )
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme == "https":
        # Behind a TLS proxy Django sees http unless told otherwise: forms then need the origin.
        if origin in settings.CSRF_TRUSTED_ORIGINS:
            findings.append(Finding("csrf origins", True, f"{origin} is trusted"))
        else:
            findings.append(
                Finding(
                    "csrf origins",
                    False,
                    f"add {origin} to CSRF_TRUSTED_ORIGINS, or every form answers 403 there.",
                )
            )
        if not settings.HTTPS:
            findings.append(
                Finding("https", False, "the URL is https: set HTTPS=true for secure cookies.")
            )
    findings.append(
        Finding("oauth redirect", True, f"register {oauth_redirect_url(url)} with the app")
    )
    return findings


async def _probe(region: Region) -> ProbeResult:
    async with aiohttp.ClientSession() as session:
        return await probe_signing(
            session,
            app_id=settings.EWELINK_APP_ID,
            app_secret=settings.EWELINK_APP_SECRET,
            region=region,
            base_url_template=settings.EWELINK_BASE_URL or None,
        )


def _cloud_name(region: Region) -> str:
    if settings.EWELINK_BASE_URL:
        return f"the cloud at {settings.EWELINK_BASE_URL.format(region=region)}"
    return f"the eWeLink cloud ({region})"
