"""Operating the running system: its metrics after a control, its readiness, and its logs.

The stack is what `make run` runs (tests/e2e/conftest.py): Daphne, the realtime worker and a
Celery worker with their metrics on, every process logging at DEBUG as JSON lines.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from prometheus_client.parser import text_string_to_metric_families

from cloudsim.demo import ACCOUNTS
from tests.e2e.conftest import LiveStack, sign_in, wait_live
from tests.e2e.test_dashboard_live import card, power, switch_is, wait_until

pytestmark = pytest.mark.browser


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def worker_url(stack: LiveStack, process: str, path: str) -> str:
    """A path on a worker's metrics port, once it answers (the stack does not wait for the
    workers to start)."""
    url = f"http://127.0.0.1:{stack.env[f'METRICS_PORT_{process.upper()}']}{path}"

    def answers() -> bool:
        try:
            return _get(url)[0] in (200, 503)
        except OSError:
            return False

    wait_until(answers, 60, f"the {process} worker's metrics port")
    return url


def scrape(stack: LiveStack, process: str) -> dict[tuple[str, frozenset[Any]], float]:
    """(sample name, labels) → value, from one process's metrics."""
    if process == "web":
        status, text = _get(
            f"{stack.url}/metrics", {"Authorization": f"Bearer {stack.env['METRICS_TOKEN']}"}
        )
    else:
        status, text = _get(worker_url(stack, process, "/metrics"))
    assert status == 200, text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def total(samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    """The sum of a sample over every label set that has `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def test_metrics_of_every_process_count_a_control_and_the_cloud_calls(
    owner_page: Page, live_stack: LiveStack
) -> None:
    before = {p: scrape(live_stack, p) for p in ("web", "realtime", "celery")}
    kitchen = power(owner_page, "Kitchen light")
    after_state = "off" if kitchen.get_attribute("aria-pressed") == "true" else "on"

    kitchen.click()  # over the account's cloud websocket, held by the realtime worker
    wait_until(switch_is(live_stack, "Kitchen light", after_state), 5, "the light switched")
    expect(card(owner_page, "Kitchen light").locator(".card__note")).to_have_text("Done")
    # An account's overview: the web asks the cloud itself (POST /v2/homepage).
    owner_page.goto("/accounts/cloud/")
    account = owner_page.locator("tr[data-account]").first
    account_id = account.get_attribute("data-account")
    owner_page.goto(f"/homes/account/{account_id}/overview/")
    expect(owner_page.get_by_role("heading", level=1)).to_be_visible()

    # A Resync: the account's full sync runs as a job in Celery.
    owner_page.goto("/accounts/cloud/")
    owner_page.locator("tr[data-account]").first.get_by_role("button", name="Resync").click()
    reconciled = "dashboard_job_runs_total"
    wait_until(
        lambda: (
            total(scrape(live_stack, "celery"), reconciled, job="reconcile", outcome="ok")
            > total(before["celery"], reconciled, job="reconcile", outcome="ok")
        ),
        30,
        "the resync counted in Celery",
    )

    # The Resync's redirect reloaded the page: its socket counts as open once it is back up
    # (a scrape in between saw none, run c1 of session 36).
    sockets = "dashboard_page_sockets_open"
    wait_until(lambda: total(scrape(live_stack, "web"), sockets) >= 1, 10, "the page's socket")
    web, realtime, celery = (scrape(live_stack, p) for p in ("web", "realtime", "celery"))
    control = "dashboard_page_control_seconds_count"
    assert total(web, control, via="socket", status="ok") == (
        total(before["web"], control, via="socket", status="ok") + 1
    )
    assert total(web, "dashboard_page_frames_sent_total") > total(
        before["web"], "dashboard_page_frames_sent_total"
    )
    assert total(web, "dashboard_http_requests_total", view="dashboard:home", status="200") > 0
    # The overview's REST call, made by the web and let through by the governor.
    calls = "dashboard_cloud_calls_total"
    assert total(web, calls, interface="/v2/homepage") == (
        total(before["web"], calls, interface="/v2/homepage") + 1
    )
    assert total(web, "dashboard_governor_calls_total") > 0
    assert total(web, "dashboard_governor_budget_left") > 0

    worker_control = "dashboard_realtime_control_seconds_count"
    assert total(realtime, worker_control, status="ok") == (
        total(before["realtime"], worker_control, status="ok") + 1
    )
    assert total(realtime, "dashboard_realtime_cloud_events_total") > total(
        before["realtime"], "dashboard_realtime_cloud_events_total"
    )
    assert total(realtime, "dashboard_realtime_events_published_total") > 0
    assert total(realtime, "dashboard_realtime_accounts_connected") >= len(ACCOUNTS)
    assert total(realtime, "dashboard_cloud_calls_total") > 0  # dispatch and syncs on connect

    # The resync's job, its duration and its cloud calls, counted in the Celery worker.
    timed = "dashboard_job_duration_seconds_count"
    assert total(celery, timed, job="reconcile") > total(before["celery"], timed, job="reconcile")
    assert total(celery, calls, interface="/v2/family") > total(
        before["celery"], calls, interface="/v2/family"
    )
    # Other tests press this light too: leave it as it was.
    owner_page.goto("/")
    wait_live(owner_page)
    power(owner_page, "Kitchen light").click()
    before_state = "on" if after_state == "off" else "off"
    wait_until(switch_is(live_stack, "Kitchen light", before_state), 5, "the light back")


def test_every_process_says_it_is_ready(live_stack: LiveStack) -> None:
    status, body = _get(f"{live_stack.url}/readyz")
    assert status == 200, body
    web = json.loads(body)
    assert web["ready"] is True
    assert set(web["checks"]) == {"database", "redis", "migrations"}
    for process in ("realtime", "celery"):
        url = worker_url(live_stack, process, "/readyz")
        # A worker is ready once it went through its accounts (realtime) or started (Celery).
        wait_until(lambda url=url: _get(url)[0] == 200, 60, f"{process} ready")
        status, body = _get(url)
        answer = json.loads(body)
        assert (answer["process"], answer["ready"], answer["version"]) == (
            process, True, web["version"]
        )  # fmt: skip
    live = json.loads(live_stack.manage("ready", "--realtime"))
    assert live["checks"]["worker"]["ok"] is True


def test_the_metrics_are_not_public(live_stack: LiveStack) -> None:
    assert _get(f"{live_stack.url}/metrics")[0] == 401
    assert _get(f"{live_stack.url}/metrics", {"Authorization": "Bearer guess"})[0] == 403


def _secrets(stack: LiveStack, extra: dict[str, str]) -> dict[str, str]:
    """Every secret of the demo the processes handled: passwords, keys, tokens."""
    stored = stack.manage(
        "shell",
        "-c",
        "import json\n"
        "from django.conf import settings\n"
        "from accounts.models import LinkedAccount\n"
        "rows = LinkedAccount.objects.with_scopes_disabled().all()\n"
        "out = {f'{k}{a.pk}': getattr(a, k) for a in rows "
        "for k in ('access_token', 'refresh_token')}\n"
        "out['SECRET_KEY'] = settings.SECRET_KEY\n"
        "out.update({f'FIELD_KEY{i}': k for i, k in enumerate(settings.FIELD_ENCRYPTION_KEYS)})\n"
        "print(json.dumps(out))",
    )
    # Unlinked accounts keep no tokens (empty): nothing to look for.
    secrets = {k: v for k, v in json.loads(stored.strip().splitlines()[-1]).items() if v}
    secrets |= {f"ewelink password of {email}": pw for _r, email, pw, _c, _n in ACCOUNTS}
    secrets |= {
        "demo password": stack.password,
        "app secret": stack.sim.secret,
        "metrics token": stack.env["METRICS_TOKEN"],
        **extra,
    }
    assert all(len(value) >= 8 for value in secrets.values()), "a secret too short to grep"
    return secrets


def test_the_logs_of_a_browser_run_hold_no_secret(
    new_tab: Callable[..., Page], live_stack: LiveStack
) -> None:
    page = new_tab()
    sign_in(page, live_stack.email, live_stack.password)  # the demo password, posted
    wait_live(page)
    toggle = power(page, "Kitchen light")
    for _ in range(2):  # a control on the cloud socket (the tokens' use), and back
        target = "off" if toggle.get_attribute("aria-pressed") == "true" else "on"
        toggle.click()
        wait_until(switch_is(live_stack, "Kitchen light", target), 5, f"the light {target}")
        expect(card(page, "Kitchen light").locator(".card__note")).to_have_text("Done")
    # Linking by password: the eWeLink password goes through the web to the cloud, tokens
    # come back, the worker connects with them and Celery runs the first sync.
    tag = uuid.uuid4().hex[:8]
    email, password = f"logs-{tag}@example.com", f"pw-{uuid.uuid4().hex}"
    live_stack.sim.control(
        "POST", "/accounts",
        {"region": "eu", "email": email, "password": password, "countryCode": "+44"},
    )  # fmt: skip
    page.goto("/accounts/cloud/link/")
    page.get_by_label("eWeLink email or phone number").fill(email)
    page.get_by_label("eWeLink password").fill(password)
    page.get_by_label("Country calling code").fill("+44")
    page.get_by_label("Label").fill(f"Logs {tag}")
    page.get_by_role("button", name="Link account").click()
    page.wait_for_url(lambda url: "/link/" not in url)
    row = page.locator("tr[data-account]").filter(has_text=f"Logs {tag}")
    expect(row).to_be_visible()
    # Unlinked again (signing out at the cloud): other tests see the demo's accounts alone.
    row.get_by_role("button", name="Unlink").click()
    page.get_by_role("button", name=f"Unlink Logs {tag}").click()
    expect(page.locator("tr[data-account]").filter(has_text=f"Logs {tag}")).to_have_count(0)
    page.goto("/")
    expect(page.get_by_role("region", name=f"My Home Logs {tag}")).to_have_count(0)

    logs = {service.name: service.log() for service in live_stack.services}
    records = {
        name: [json.loads(line) for line in text.splitlines() if line.startswith('{"time"')]
        for name, text in logs.items()
    }
    for name in ("daphne", "run_realtime", "celery_worker"):
        assert any(r["level"] == "DEBUG" for r in records[name]), f"{name} not at DEBUG"
    # Lines say what they are about: the request and household on the web, the account and
    # its household in the workers.
    assert any({"request_id", "household"} <= set(r) for r in records["daphne"])
    assert any({"account", "household"} <= set(r) for r in records["run_realtime"])
    for name, secret in _secrets(live_stack, {"the new account's password": password}).items():
        leaks = [service for service, text in logs.items() if secret in text]
        assert not leaks, f"{name} appears in the logs of {leaks}"
