"""Log lines say which request, household, account and thing they are about; JSON on demand."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from accounts import log_context
from dashboard.log_format import JsonFormatter
from dashboard.request_context import RequestIdMiddleware, request_id_from


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The root logger's output as the settings build it for LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(log_context.ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_carries_the_ids_set_around_it(json_lines):
    log = logging.getLogger("tests.ops")
    with log_context.bound(household=3, account=7):
        with log_context.bound(thing=11):
            log.info("switched %s", "on")
        log.warning("after the thing")
    log.info("outside")

    first, second, third = _records(json_lines)
    assert first["message"] == "switched on"
    assert (first["household"], first["account"], first["thing"]) == (3, 7, 11)
    assert first["level"] == "INFO"
    assert first["logger"] == "tests.ops"
    assert "thing" not in second
    assert second["account"] == 7
    assert not {"household", "account", "thing", "request_id"} & set(third)


def test_a_traceback_stays_inside_its_json_line(json_lines):
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("tests.ops").exception("it failed")
    (record,) = _records(json_lines)
    assert "ValueError: broken" in str(record["exc_info"])


def test_the_plain_format_appends_the_context():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    with log_context.bound(request_id="abc12345", household=4):
        log_context.ContextFilter().filter(record)
    assert record.context == " [request_id=abc12345 household=4]"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("3f2a9c1e-7b4d-4e8a-9f00-1234567890ab", True),
        ("Root=1-5759e988-bd862e3fe1be46a994272793", True),
        ("short", False),  # too short to be an id
        ("two words here ok", False),
        ('evil"\n2026-01-01 INFO forged line', False),
        ("x" * 129, False),
        ("", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_well_formed(given, kept):
    chosen = request_id_from(given)
    assert (chosen == given) is kept
    assert 8 <= len(chosen) <= 128
    assert "\n" not in chosen


def test_the_middleware_binds_the_id_for_the_request_and_echoes_it(json_lines):
    def view(request: HttpRequest) -> HttpResponse:
        logging.getLogger("tests.ops").info("in the view")
        return HttpResponse("ok")

    middleware = RequestIdMiddleware(view)
    given = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="upstream-id-0001"))
    fresh = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="bad id"))

    assert given["X-Request-ID"] == "upstream-id-0001"
    assert fresh["X-Request-ID"] != "bad id"
    assert len(fresh["X-Request-ID"]) == 32
    ids = [record["request_id"] for record in _records(json_lines)]
    assert ids == ["upstream-id-0001", fresh["X-Request-ID"]]
    assert log_context.current() == {}  # nothing leaks past the request


def test_a_page_request_logs_its_household(owner, json_lines):
    response = owner.client.get("/no/such/")
    assert response.status_code == 404
    (record,) = [r for r in _records(json_lines) if r["logger"] == "django.request"]
    assert record["household"] == owner.household.pk
    assert record["request_id"] == response["X-Request-ID"]
