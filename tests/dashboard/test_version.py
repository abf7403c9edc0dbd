"""The installed release: read from the package metadata and shown in every page's footer."""

from __future__ import annotations

from importlib.metadata import version

from django.urls import reverse

from dashboard.version import current, is_newer


def test_the_version_is_the_installed_distributions():
    assert current() == version("ewelink-dashboard")
    assert current().count(".") >= 2


def test_release_order_follows_pep_440_not_text():
    assert is_newer("0.10.0", "0.9.1")
    assert not is_newer("0.1.0", "0.1.0")
    assert is_newer("1.0.0", "1.0.0rc1")


def test_the_footer_shows_the_version_signed_in_and_out(client, owner):
    footer = f'<span class="site-footer__version">{current()}</span>'
    assert footer in client.get(reverse("accounts:login")).content.decode()
    assert footer in owner.client.get(reverse("dashboard:home")).content.decode()
