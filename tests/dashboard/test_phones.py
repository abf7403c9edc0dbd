"""Phones: LAN hosts for `HOST=0.0.0.0 make run`, the manifest, "Open on your phone"."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from django.urls import reverse

from dashboard import lan
from dashboard.launcher import OAUTH_CALLBACK_PATH, build_plan, oauth_note

EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 - what HOST says, nothing binds here


def test_lan_addresses_are_reachable_ipv4_addresses():
    addresses = lan.lan_addresses()
    assert addresses, "this machine has a network interface besides loopback"
    for address in addresses:
        ip = ipaddress.ip_address(address)
        assert ip.version == 4
        assert not ip.is_loopback
        assert not ip.is_link_local


def test_a_loopback_host_needs_no_lan_settings():
    assert lan.lan_environment({"HOST": "127.0.0.1"}, "8000") == {}
    assert lan.lan_environment({}, "8000") == {}


def test_host_0000_allows_the_lan_addresses_and_keeps_local_ones():
    env = lan.lan_environment({"HOST": EVERY_ADDRESS, "ALLOWED_HOSTS": "dash.home"}, "8123")

    hosts = env["ALLOWED_HOSTS"].split(",")
    first = lan.lan_addresses()[0]
    assert hosts[0] == "dash.home"  # what the person set stays, first
    assert first in hosts
    assert f"{lan.host_names()[1]}" in hosts  # the mDNS name phones often resolve
    assert f"http://{first}:8123" in env["CSRF_TRUSTED_ORIGINS"].split(",")
    assert env["PHONE_URL"] == f"http://{first}:8123/"
    assert env["GENERATED_KEYS"] == "true"
    default = lan.lan_environment({"HOST": EVERY_ADDRESS}, "8000")["ALLOWED_HOSTS"].split(",")
    assert default[:3] == ["localhost", "127.0.0.1", "[::1]"]


def test_the_launcher_prints_the_phone_url_with_a_qr_code(tmp_path: Path):
    plan = build_plan({"HOST": EVERY_ADDRESS, "PORT": "8123"}, tmp_path)

    phone_url = plan.env["PHONE_URL"]
    assert f"On phones (same Wi-Fi): {phone_url}" in plan.notes
    qr = plan.notes[plan.notes.index(f"On phones (same Wi-Fi): {phone_url}") + 1]
    assert len(qr.splitlines()) > 10
    assert "█" in qr or "▀" in qr
    assert lan.lan_addresses()[0] in plan.env["ALLOWED_HOSTS"]
    assert "PHONE_URL" not in build_plan({}, tmp_path).env


def test_the_oauth_note_names_the_callback_route():
    assert reverse("accounts:link_oauth_callback") == "/" + OAUTH_CALLBACK_PATH
    note = oauth_note({}, "http://127.0.0.1:8000/")
    assert note.endswith("http://127.0.0.1:8000/accounts/cloud/oauth/callback/")
    phone = oauth_note({"PHONE_URL": "http://192.168.1.5:8000/"}, "http://0.0.0.0:8000/")
    assert phone.endswith("http://192.168.1.5:8000/accounts/cloud/oauth/callback/")


def test_the_manifest_is_public_and_installable(client, db):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    body = json.loads(response.content)
    assert body["display"] == "standalone"
    assert body["start_url"] == "/"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in body["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in body["icons"]:
        name = icon["src"].removeprefix("/static/")
        assert (Path(__file__).resolve().parents[2] / "static" / name).is_file()


def test_pages_link_the_manifest_and_theme_colour(owner):
    page = owner.client.get(reverse("dashboard:home")).content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#0b63ce">' in page
    assert 'href="/wall/">Wall view</a>' in page
    assert 'href="/phone/">Open on your phone</a>' in page


def test_the_phone_page_shows_the_phone_url_as_a_qr_code(owner, settings):
    settings.PHONE_URL = "http://192.168.1.20:8000/"

    page = owner.client.get(reverse("dashboard:phone")).content.decode()

    assert 'aria-label="QR code of http://192.168.1.20:8000/"' in page
    assert "<svg" in page
    assert '<a href="http://192.168.1.20:8000/">' in page


@pytest.mark.parametrize(("host", "shown"), [("127.0.0.1", False), ("192.168.1.30:8000", True)])
def test_without_phone_url_the_page_uses_the_address_it_was_opened_at(owner, settings, host, shown):
    settings.PHONE_URL = ""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "192.168.1.30"]

    page = owner.client.get(reverse("dashboard:phone"), HTTP_HOST=host).content.decode()

    assert ("phone-link__qr" in page) == shown
    assert ("HOST=0.0.0.0 make run" in page) != shown


def test_the_wall_view_has_the_cards_and_no_top_bar(owner):
    page = owner.client.get(reverse("dashboard:wall")).content.decode()

    assert 'class="wall"' in page
    assert 'class="topbar"' not in page
    assert 'data-fragment="sections" data-view="dashboard"' in page
    assert "Exit wall view" in page
    assert "js/wall.js" in page


def test_a_wildcard_bind_is_opened_on_loopback_by_the_launcher():
    assert lan.local_host(EVERY_ADDRESS) == "127.0.0.1"
    assert lan.local_host("") == "127.0.0.1"
    assert lan.local_host("192.168.1.5") == "192.168.1.5"


def test_app_credentials_without_a_base_url_mean_the_real_cloud(tmp_path: Path):
    real = build_plan({"EWELINK_APP_ID": "my-app", "EWELINK_APP_SECRET": "s3cret"}, tmp_path)

    assert "cloudsim" not in real.processes
    assert "EWELINK_BASE_URL" not in real.env
    assert any("the real eWeLink cloud" in note for note in real.notes)
    assert not any("s3cret" in note for note in real.notes)
    # An id alone (or nothing) is still the simulator, with its development app.
    assert "cloudsim" in build_plan({"EWELINK_APP_ID": "my-app"}, tmp_path).processes
    assert "cloudsim" in build_plan({"EWELINK_BASE_URL": ""}, tmp_path).processes
