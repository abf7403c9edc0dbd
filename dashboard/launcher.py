"""`make run`: every process of the system under one supervisor, on the embedded default.

Without REDIS_URL a private Redis is started; without EWELINK_BASE_URL the simulated cloud
(cloudsim, with its demo data) is started and the app is pointed at it. A process that dies
is started again (dashboard/supervisor.py); Ctrl-C or SIGTERM stops all of them, Redis and
the cloud last.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from dashboard import lan
from dashboard.cloud_choice import cloud_note, uses_simulator
from dashboard.supervisor import Supervisor

ROOT = Path(__file__).resolve().parent.parent
PY = shlex.quote(sys.executable)
# Services the apps use: stopped after them, so their clean shutdown can still reach them.
SERVICES = ("redis", "cloudsim")


@dataclass
class Plan:
    """What to run and with which environment."""

    processes: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def build_plan(environ: dict[str, str], var_dir: Path) -> Plan:
    host = environ.get("HOST", "127.0.0.1")
    port = environ.get("PORT", "8000")
    plan = Plan(env=dict(environ))
    plan.env.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    _add_lan(plan, environ, port)
    if not environ.get("REDIS_URL"):
        sock = var_dir / "run" / "redis.sock"
        plan.processes["redis"] = f"exec {PY} -m dashboard.embedded_redis {shlex.quote(str(sock))}"
        plan.notes.append(f"Redis: embedded, on {sock}")
    if uses_simulator(environ):
        _add_cloudsim(plan, environ, var_dir)
    else:
        plan.notes.append(cloud_note(environ))
    plan.processes["web"] = (
        f"exec {PY} -m dashboard.serve -b {shlex.quote(host)} -p {shlex.quote(port)} "
        "--websocket-max-message-size 16384 dashboard.asgi:application"
    )
    plan.processes["realtime"] = f"exec {PY} manage.py run_realtime"
    plan.processes["worker"] = f"exec {PY} -m celery -A dashboard worker -l warning -c 2"
    plan.processes["beat"] = (
        f"exec {PY} -m celery -A dashboard beat -l warning "
        f"-s {shlex.quote(str(var_dir / 'celerybeat-schedule'))}"
    )
    return plan


def _add_cloudsim(plan: Plan, environ: dict[str, str], var_dir: Path) -> None:
    """The simulated cloud with its demo accounts, and the app credentials it accepts."""
    sim_port = environ.get("CLOUDSIM_PORT", "8181")
    app_id = environ.get("EWELINK_APP_ID") or "dashboard-dev-app"
    secret = environ.get("EWELINK_APP_SECRET") or _dev_app_secret(var_dir)
    state = var_dir / "cloudsim-state.json"
    plan.processes["cloudsim"] = (
        f"exec {PY} -m cloudsim --host 127.0.0.1 --port {shlex.quote(sim_port)} --demo "
        f"--state {shlex.quote(str(state))} --app {shlex.quote(f'{app_id}:{secret}')}"
    )
    plan.env.update(
        EWELINK_BASE_URL=f"http://127.0.0.1:{sim_port}/{{region}}",
        EWELINK_APP_ID=app_id,
        EWELINK_APP_SECRET=secret,
    )
    plan.notes.append(f"Cloud: simulated (cloudsim) at http://127.0.0.1:{sim_port}")


# Where the cloud sends people back after OAuth (accounts:link_oauth_callback; a test checks).
OAUTH_CALLBACK_PATH = "accounts/cloud/oauth/callback/"


def _add_lan(plan: Plan, environ: dict[str, str], port: str) -> None:
    """HOST=0.0.0.0: answer to this machine's LAN addresses, and show phones where to go."""
    plan.env.update(lan.lan_environment(environ, port))
    phone_url = plan.env.get("PHONE_URL", "")
    if phone_url and environ.get("HOST", "") in lan.WILDCARD_HOSTS:
        plan.notes += [f"On phones (same Wi-Fi): {phone_url}", lan.terminal_qr(phone_url)]


def oauth_note(environ: dict[str, str], url: str) -> str:
    """The redirect URL to register with an eWeLink app, for the address people open."""
    base = environ.get("PHONE_URL") or url
    return f"OAuth redirect URL (real cloud): {base.rstrip('/')}/{OAUTH_CALLBACK_PATH}"


def _dev_app_secret(var_dir: Path) -> str:
    from dashboard.env_parsing import persistent_secret

    return persistent_secret(var_dir / "cloudsim_app_secret", kind="token")


def announce_when_ready(plan: Plan, url: str, lines: list[str], timeout: float = 120) -> None:
    """Link the demo once everything is up, then print where to go (last, so it is seen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2):  # noqa: S310 - our own URL
                break
        except OSError:
            time.sleep(0.5)
    else:
        lines = [f"The web process did not answer on {url} within {timeout:.0f} s."]
    if "cloudsim" in plan.processes:
        link = [sys.executable, str(ROOT / "manage.py"), "link_demo"]
        done = subprocess.run(link, env=plan.env, cwd=ROOT, check=False)  # noqa: S603
        if done.returncode:
            lines.append("Linking the demo accounts failed: see the messages above.")
    banner = "\n".join(
        [
            "",
            "=" * 64,
            *lines,
            "Stop everything with Ctrl-C.",
            "=" * 64,
            "",
        ]
    )
    print(banner, flush=True)


def main() -> None:
    from dashboard.env_parsing import load_env

    load_env(ROOT / ".env")  # .env fills unset variables here too, as in settings: HOST, cloud
    var_dir = Path(os.environ.get("VAR_DIR", ROOT / "var")).resolve()
    plan = build_plan(dict(os.environ), var_dir)
    url = f"http://{lan.local_host(os.environ.get('HOST', ''))}:{os.environ.get('PORT', '8000')}/"
    lines = [f"Dashboard: {url}", *plan.notes, oauth_note(plan.env, url)]
    demo = var_dir / "demo_credentials"
    if demo.is_file():
        lines.append(f"Sign in as {demo.read_text().strip()}")
    supervisor = Supervisor(
        plan.processes, env=plan.env, cwd=ROOT, run_dir=var_dir / "run", stop_last=SERVICES
    )
    threading.Thread(target=announce_when_ready, args=(plan, url, lines), daemon=True).start()
    sys.exit(supervisor.run())


if __name__ == "__main__":
    main()
