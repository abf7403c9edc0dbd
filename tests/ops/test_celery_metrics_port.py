"""The Celery worker's metrics port with a forked pool: the children's counts are summed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dashboard.celery import _is_celery_worker

ROOT = Path(__file__).resolve().parents[2]
TASK = "devices.tasks.sync_history_for_account"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _skipped_runs(url: str) -> float:
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "dashboard_job_runs_total" and s.labels.get("outcome") == "skipped"
    )


@pytest.mark.parametrize(
    ("argv", "worker"),
    [
        (["/venv/bin/celery", "-A", "dashboard", "worker", "-c", "2"], True),
        (["/venv/lib/python3.11/site-packages/celery/__main__.py", "-A", "x", "worker"], True),
        (["/venv/bin/celery", "-A", "dashboard", "beat"], False),
        (["manage.py", "run_realtime"], False),
        (["/venv/bin/daphne", "dashboard.asgi:application"], False),
    ],
)
def test_only_a_celery_worker_turns_multiprocess_mode_on(argv, worker):
    assert _is_celery_worker(argv) is worker


@pytest.mark.integration
def test_a_prefork_workers_port_sums_what_its_children_counted(tmp_path, redis_url):
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": redis_url,
        "CHANNELS_PREFIX": f"t{uuid.uuid4().hex[:8]}",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "METRICS_PORT_CELERY": str(port),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    made = subprocess.run(
        [*manage, "shell", "-c",
         "from tests.factories import LinkedAccountFactory\n"
         "print(LinkedAccountFactory(status='disabled').pk)"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    account_id = int(made.stdout.strip().splitlines()[-1])
    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "-P", "prefork", "-c", "2",
         "-Q", queue, "-n", f"{queue}@%h", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                before = _skipped_runs(url)
                break
            except (urllib.error.URLError, OSError):
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                assert time.monotonic() < deadline, "the worker's port did not answer"
                time.sleep(0.2)
        from dashboard.celery import app

        for _ in range(4):  # spread over both children
            app.send_task(TASK, args=[account_id], queue=queue)
        deadline = time.monotonic() + 60
        while _skipped_runs(url) < before + 4:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.2)
        assert _skipped_runs(url) == before + 4
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
