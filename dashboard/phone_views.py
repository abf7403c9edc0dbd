"""Phones: the web app manifest (add to home screen) and "Open on your phone" with a QR code."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import cache_control

from accounts.views import household_required
from dashboard.lan import svg_qr

THEME_COLOUR = "#0b63ce"  # the favicon's blue (static/favicon.svg)
BACKGROUND_COLOUR = "#f6f7f9"  # app.css --bg, shown while the app starts
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    """What a phone needs to install the dashboard as an app that opens full-screen.

    Public: browsers fetch manifests without cookies.
    """
    home = reverse("dashboard:home")
    icons = [
        _icon("icons/icon-192.png", 192, "any"),
        _icon("icons/icon-512.png", 512, "any"),
        _icon("icons/maskable-192.png", 192, "maskable"),
        _icon("icons/maskable-512.png", 512, "maskable"),
    ]
    body = {
        "id": home,
        "name": "eWeLink dashboard",
        "short_name": "Home",
        "description": "Your homes, rooms and devices, live.",
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
        "shortcuts": [{"name": "Wall view", "url": reverse("dashboard:wall")}],
    }
    return JsonResponse(body, content_type="application/manifest+json")


@household_required
def phone_page(request: HttpRequest) -> HttpResponse:
    """The address phones on the home network open, as text and as a QR code to scan."""
    url = phone_url(request)
    context = {
        "phone_url": url,
        "qr_svg": mark_safe(svg_qr(url)) if url else "",  # noqa: S308 - segno escapes the URL
        "https": request.is_secure(),
    }
    return render(request, "dashboard/phone.html", context)


def phone_url(request: HttpRequest) -> str:
    """PHONE_URL if set; else the address this page was opened at, unless that is loopback."""
    if settings.PHONE_URL:
        return str(settings.PHONE_URL)
    here = request.build_absolute_uri(reverse("dashboard:home"))
    return "" if (urlsplit(here).hostname or "") in _LOOPBACK else here


def _icon(path: str, size: int, purpose: str) -> dict[str, str]:
    return {"src": static(path), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
