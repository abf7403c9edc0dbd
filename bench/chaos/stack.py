"""The soak's processes as production runs them: Redis, cloudsim, Daphne x2, realtime x2,
Celery worker and beat, on a PostgreSQL database of its own. Each can be killed and started
again by role; everything is stopped (and the database dropped) at the end."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from cloudsim.testing import RunningCloudsim, start_cloudsim

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
APPID, SECRET = "chaosdashapp0000000000000000000", "chaosdashsecret00000000000000000"
OWNER_EMAIL = "owner@chaos.example.com"
OWNER_PASSWORD = "chaos-owner-Pa55word!"  # noqa: S105 - a throwaway local user


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    def __init__(self, tmp: Path, base_db_url: str, shards: str = "split") -> None:
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[Any]] = {}
        self.restarts: dict[str, int] = {}
        self.sim: RunningCloudsim | None = None
        parts = urlsplit(base_db_url)
        self.dbname = f"chaos_soak_{os.getpid()}"
        self.admin_url = base_db_url
        self.db_url = parts._replace(path="/" + self.dbname).geturl()
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.daphne_ports = [free_port(), free_port()]
        self.shards = shards  # "split": 0/2 and 1/2; "same": both 0/1
        self.env: dict[str, str] = {}

    # -- database and Redis -------------------------------------------------------------

    def create_db(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')

    def drop_db(self) -> None:
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self.admin_url, autocommit=True) as conn,
        ):
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')

    def terminate_db_backends(self) -> int:
        """Our stand-in for a PostgreSQL restart: cut every connection to the soak database
        only (the server is shared with other sessions and stays up)."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.dbname,),
            ).fetchall()
        return len(rows)

    def start_redis(self) -> None:
        cmd = [
            "redis-server",
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.tmp),
        ]
        out = open(self.logs / "redis.log", "a")  # noqa: SIM115
        self.procs["redis"] = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.redis_port), 0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    # -- cloudsim and Django ------------------------------------------------------------

    def start_cloudsim(self) -> RunningCloudsim:
        self.sim = start_cloudsim("--app", f"{APPID}:{SECRET}")
        return self.sim

    def django_env(self) -> dict[str, str]:
        assert self.sim is not None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DATABASE_URL": self.db_url,
            "REDIS_URL": self.redis_url,
            "CHANNELS_PREFIX": f"chaos{os.getpid()}",
            "VAR_DIR": str(self.tmp / "var"),
            "EWELINK_BASE_URL": self.sim.api_template,
            "EWELINK_APP_ID": APPID,
            "EWELINK_APP_SECRET": SECRET,
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "DEBUG": "false",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            # Background jobs often, so that Celery works (and is killed) during the soak.
            "JOBS_RECONCILE_MINUTES": "5",
            "JOBS_MESSAGE_SYNC_MINUTES": "5",
            "JOBS_HISTORY_SYNC_MINUTES": "10",
            # Members click often in the soak; the household limit is not what it tests.
            "CONTROL_LIMIT_USER_RATE": "20",
            "CONTROL_LIMIT_HOUSEHOLD_RATE": "40",
        }
        return self.env

    def migrate_and_link(self, accounts: list[dict[str, str]]) -> dict[str, Any]:
        out = subprocess.run(
            [PY, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if out.returncode:
            raise RuntimeError(f"migrate failed:\n{out.stderr[-3000:]}")
        spec = {
            "owner_email": OWNER_EMAIL,
            "owner_password": OWNER_PASSWORD,
            "household": "Chaos household",
            "accounts": accounts,
        }
        out = subprocess.run(
            [PY, str(ROOT / "bench" / "live" / "bootstrap.py")],
            cwd=ROOT,
            env=self.env,
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            timeout=120 + 5 * len(accounts),
        )
        if out.returncode:
            raise RuntimeError(f"bootstrap failed:\n{out.stderr[-3000:]}")
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))

    # -- the application processes --------------------------------------------------------

    def command(self, role: str) -> list[str]:
        if role.startswith("daphne"):
            port = self.daphne_ports[int(role[-1])]
            return [PY, "-m", "dashboard.serve", "-b", "127.0.0.1", "-p", str(port)]
        if role.startswith("realtime"):
            shard = f"{role[-1]}/2" if self.shards == "split" else "0/1"
            return [PY, "manage.py", "run_realtime", "--shard", shard]
        if role == "celery":
            return [PY, "-m", "celery", "-A", "dashboard", "worker", "-l", "info", "-c", "2"]
        if role == "beat":
            schedule = str(self.tmp / "celerybeat-schedule")
            return [PY, "-m", "celery", "-A", "dashboard", "beat", "-l", "info", "-s", schedule]
        raise ValueError(role)

    ROLES = ("daphne0", "daphne1", "realtime0", "realtime1", "celery", "beat")

    def start(self, role: str) -> None:
        cmd = self.command(role)
        if role.startswith("daphne"):
            cmd += ["--websocket-max-message-size", "16384", "dashboard.asgi:application"]
        out = open(self.logs / f"{role}.log", "a")  # noqa: SIM115
        self.procs[role] = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
        )

    def start_all(self) -> None:
        for role in self.ROLES:
            self.start(role)

    def kill9(self, role: str) -> None:
        proc = self.procs.get(role)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def restart(self, role: str) -> None:
        """As a supervisor (systemd, Docker) would after a crash."""
        self.kill9(role)
        self.restarts[role] = self.restarts.get(role, 0) + 1
        if role == "redis":
            self.start_redis()
        else:
            self.start(role)

    def stop(self, role: str) -> None:
        proc = self.procs.pop(role, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def pids(self) -> dict[str, int]:
        out = {n: p.pid for n, p in self.procs.items() if p.poll() is None}
        if self.sim is not None:
            out["cloudsim"] = self.sim.pid
        return out

    def dead(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is not None]

    def stop_all(self) -> None:
        for role in [r for r in self.procs if r != "redis"]:
            self.stop(role)
        if self.sim is not None:
            self.sim.stop()
            self.sim = None
        self.stop("redis")
        self.drop_db()
