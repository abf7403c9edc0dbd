"""/readyz, /metrics and the workers' metrics port, on the real database and Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from dashboard import metrics, readiness
from tests.ops.samples import sample

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "a-scraper-token-for-this-test"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _families(text: str) -> dict[str, object]:
    return {family.name: family for family in text_string_to_metric_families(text)}


# --- /readyz -----------------------------------------------------------------------------------


def test_readyz_says_ready_with_each_check_and_the_version(client, db, redis_url):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"database", "redis", "migrations"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["version"] == readiness.version() != "unknown"
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_is_503_when_redis_does_not_answer(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"]["ok"] is False
    assert "redis unreachable" in checks["redis"]["error"]
    assert checks["database"]["ok"] is True


@pytest.mark.integration
def test_ready_command_refuses_an_unmigrated_database_then_passes(tmp_path, redis_url):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    }

    def ready() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "ready", "--web"], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    before = ready()
    assert before.returncode == 1
    report = json.loads(before.stdout)
    assert report["checks"]["migrations"]["ok"] is False
    assert "not applied" in report["checks"]["migrations"]["error"]
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
        capture_output=True, timeout=300, check=True,
    )  # fmt: skip
    after = ready()
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["ready"] is True


# --- /metrics on the web ------------------------------------------------------------------------


def test_metrics_do_not_exist_without_a_token(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, db, metrics_token):
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN[:-1]}").status_code == 403


def test_metrics_count_requests_by_view_and_status(client, owner, metrics_token):
    pages = sample(
        "dashboard_http_requests_total", view="accounts:household", method="GET", status="200"
    )
    assert owner.client.get(reverse("accounts:household")).status_code == 200
    assert client.get("/no/such/page/").status_code == 404

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    families = _families(response.content.decode())
    requests = {
        (s.labels["view"], s.labels["status"]): s.value
        for s in families["dashboard_http_requests"].samples  # type: ignore[attr-defined]
        if s.name == "dashboard_http_requests_total"
    }
    assert requests[("accounts:household", "200")] == pages + 1
    assert requests[("unmatched", "404")] >= 1
    assert "/no/such/page/" not in response.content.decode()  # paths never become labels
    latency = families["dashboard_http_request_duration_seconds"]
    assert any(
        s.labels.get("view") == "accounts:household" and s.name.endswith("_count")
        for s in latency.samples  # type: ignore[attr-defined]
    )
    # Every process kind's families are there, at zero where this process does not count.
    assert {"dashboard_realtime_cloud_events", "dashboard_job_runs"} <= set(families)


# --- the workers' port ----------------------------------------------------------------------------


@pytest.fixture
def port_server(db):
    answers = iter([{"ready": True, "checks": {}}, {"ready": False, "checks": {}}])
    server = metrics.serve(0, "127.0.0.1", lambda: next(answers))
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_workers_port_serves_metrics_readiness_and_liveness(port_server):
    with urllib.request.urlopen(f"{port_server}/metrics", timeout=5) as response:
        assert "dashboard_realtime_cloud_events_total" in response.read().decode()
    with urllib.request.urlopen(f"{port_server}/readyz", timeout=5) as response:
        assert json.loads(response.read())["ready"] is True
    with pytest.raises(urllib.error.HTTPError) as not_ready:
        urllib.request.urlopen(f"{port_server}/readyz", timeout=5)
    assert not_ready.value.code == 503
    not_ready.value.close()
    with urllib.request.urlopen(f"{port_server}/healthz", timeout=5) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as unknown:
        urllib.request.urlopen(f"{port_server}/admin/", timeout=5)
    assert unknown.value.code == 404
    unknown.value.close()


def test_the_port_binds_to_loopback_unless_told_otherwise(settings):
    assert settings.METRICS_ADDRESS == "127.0.0.1"


# --- the Grafana dashboard ------------------------------------------------------------------------


def test_the_grafana_dashboard_queries_only_metrics_we_export():
    import re

    board = json.loads((ROOT / "deploy" / "grafana" / "ewelink-dashboard.json").read_text())
    exprs = [
        target["expr"]
        for panel in board["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    assert len(exprs) >= 10
    queried = {name for expr in exprs for name in re.findall(r"\bdashboard_[a-z_]+\b", expr)}
    exported = metrics.exported_names()
    assert queried, "the dashboard queries no metric of ours"
    assert queried <= exported, f"not exported: {sorted(queried - exported)}"
    # Every process kind has a panel.
    for family in ("http_requests", "realtime_cloud_events", "job_runs", "governor_calls"):
        assert any(f"dashboard_{family}" in expr for expr in exprs), family


def test_exported_names_cover_every_kind_of_sample():
    names = metrics.exported_names()
    assert "dashboard_http_requests_total" in names
    assert "dashboard_http_request_duration_seconds_bucket" in names
    assert "dashboard_page_sockets_open" in names
    assert "dashboard_governor_budget_left" in names
    assert "dashboard_http_requests" in names  # the family; queries use the sample names
    assert "dashboard_nonsense_total" not in names
