"""`manage.py doctor` against a real cloudsim: a right secret passes, a wrong one is named."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dashboard import doctor
from ewelink.probe import classify

URL = "http://127.0.0.1:8000/"


def _doctor(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("doctor", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_the_right_credentials_pass(cloud, settings):
    output, error = _doctor("--url", URL, "--region", "us")

    assert error is None, output
    assert "ok      signing: the cloud at" in output
    assert f"ok      cloud: EWELINK_BASE_URL={cloud.api_template}" in output
    assert "ok      clock: within" in output
    assert "register http://127.0.0.1:8000/accounts/cloud/oauth/callback/" in output
    assert "All checks passed." in output


def test_a_free_oauth_only_app_passes_too(cloud, settings):
    settings.EWELINK_APP_ID, settings.EWELINK_APP_SECRET = "free-app", "free-secret"

    output, error = _doctor("--url", URL)

    assert error is None, output


def test_a_wrong_secret_is_named(cloud, settings):
    settings.EWELINK_APP_SECRET = cloud.secret + "x"

    output, error = _doctor("--url", URL)

    assert error is not None
    assert error.returncode == 1
    assert "PROBLEM signing:" in output
    assert "EWELINK_APP_SECRET is wrong or does not belong to EWELINK_APP_ID" in output
    assert cloud.secret not in output  # the secret itself is never shown


def test_an_unknown_app_id_is_a_signing_problem(cloud, settings):
    settings.EWELINK_APP_ID = "no-such-app"

    output, error = _doctor("--url", URL)

    assert error is not None
    assert "PROBLEM signing:" in output


def test_missing_credentials_are_named_before_any_call(settings):
    settings.EWELINK_APP_ID, settings.EWELINK_APP_SECRET = "", ""

    output, error = _doctor("--url", URL)

    assert error is not None
    assert "EWELINK_APP_ID and EWELINK_APP_SECRET not set" in output
    assert "signing" not in output


@pytest.mark.parametrize(("offset", "way"), [(600, "ahead of"), (-300, "behind")])
def test_a_skewed_clock_is_found(cloud, offset, way):
    findings = doctor.run_checks(URL, "eu", now=lambda: time.time() + offset)

    clock = next(f for f in findings if f.check == "clock")
    assert not clock.ok
    assert f"s {way} the cloud's" in clock.message
    assert abs(float(clock.message.split()[4]) - abs(offset)) <= 3


def test_a_host_outside_allowed_hosts_is_a_problem(cloud, settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]

    output, error = _doctor("--url", "http://192.168.1.20:8000/")

    assert error is not None
    assert "PROBLEM allowed hosts: 192.168.1.20 is not in ALLOWED_HOSTS" in output


def test_https_needs_a_trusted_origin_and_secure_cookies(cloud, settings):
    settings.ALLOWED_HOSTS = ["dash.example.com"]
    settings.CSRF_TRUSTED_ORIGINS = []
    settings.HTTPS = False

    output, error = _doctor("--url", "https://dash.example.com/")

    assert error is not None
    assert "add https://dash.example.com to CSRF_TRUSTED_ORIGINS" in output
    assert "set HTTPS=true" in output

    settings.CSRF_TRUSTED_ORIGINS = ["https://dash.example.com"]
    settings.HTTPS = True
    output, error = _doctor("--url", "https://dash.example.com/")
    assert error is None, output


def test_an_unreachable_cloud_is_said_in_words(settings):
    settings.EWELINK_APP_ID, settings.EWELINK_APP_SECRET = "app", "secret"
    settings.EWELINK_BASE_URL = "http://127.0.0.1:9/{region}"  # discard port: nothing listens

    output, error = _doctor("--url", URL)

    assert error is not None
    assert "PROBLEM signing: could not reach" in output


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, '{"error":405,"msg":"invalid code"}', "ok"),
        (200, '{"error":400,"msg":"sign verification failed"}', "bad_signature"),
        (200, '{"error":406,"msg":"authentication failed"}', "bad_signature"),
        (200, '{"error":403,"msg":"Sign:oauthClient enable invalid"}', "bad_signature"),
        (200, '{"error":407,"msg":"the path of request is not allowed with appid"}', "not_allowed"),
        (502, "<html>bad gateway</html>", "unexpected"),
    ],
)
def test_cloud_answers_are_classified(status, body, outcome):
    assert classify(status, body)[0] == outcome


def test_the_url_defaults_to_the_phone_url(settings, monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    settings.PHONE_URL = "http://192.168.1.20:8000/"
    assert doctor.default_url() == "http://192.168.1.20:8000/"
    settings.PHONE_URL = ""
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", "8123")
    assert doctor.default_url() == "http://127.0.0.1:8123/"
