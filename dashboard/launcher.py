"""`make run`: every process of the system under one supervisor (honcho), on the embedded default.

Without REDIS_URL a private Redis is started; without EWELINK_BASE_URL the simulated cloud
(cloudsim, with its demo data) is started and the app is pointed at it. Ctrl-C stops all of
them: honcho puts each in its own process group and kills the group.
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

from honcho.manager import Manager

ROOT = Path(__file__).resolve().parent.parent
PY = shlex.quote(sys.executable)


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
    if not environ.get("REDIS_URL"):
        sock = var_dir / "run" / "redis.sock"
        plan.processes["redis"] = f"exec {PY} -m dashboard.embedded_redis {shlex.quote(str(sock))}"
        plan.notes.append(f"Redis: embedded, on {sock}")
    if not environ.get("EWELINK_BASE_URL"):
        _add_cloudsim(plan, environ, var_dir)
    plan.processes["web"] = (
        f"exec {PY} -m dashboard.web_server -b {shlex.quote(host)} -p {shlex.quote(port)} "
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
    banner = "\n".join(["", "=" * 64, *lines, "Stop everything with Ctrl-C.", "=" * 64, ""])
    print(banner, flush=True)


def main() -> None:
    var_dir = Path(os.environ.get("VAR_DIR", ROOT / "var")).resolve()
    plan = build_plan(dict(os.environ), var_dir)
    url = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}/"
    lines = [f"Dashboard: {url}", *plan.notes]
    demo = var_dir / "demo_credentials"
    if demo.is_file():
        lines.append(f"Sign in as {demo.read_text().strip()}")
    manager = Manager()
    for name, cmd in plan.processes.items():
        manager.add_process(name, cmd, env=plan.env, cwd=str(ROOT))
    threading.Thread(target=announce_when_ready, args=(plan, url, lines), daemon=True).start()
    manager.loop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
