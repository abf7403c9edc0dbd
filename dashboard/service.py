"""The embedded default as a systemd service: started at boot, restarted on failure.

`python -m dashboard.service unit [--user NAME]` prints the unit (`make install-service`
writes it to /etc/systemd/system and enables it); the unit runs what `make run` runs, without
make: migrate, collectstatic and the demo household first, then the launcher. Output goes to
the journal (`journalctl -u ewelink-dashboard -f`). Settings come from the checkout's `.env`
(optional, as for `make run`).
"""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_NAME = "ewelink-dashboard"
UNIT_PATH = Path("/etc/systemd/system") / f"{SERVICE_NAME}.service"

TEMPLATE = """\
[Unit]
Description=eWeLink dashboard (embedded default: make run)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User={user}
WorkingDirectory={root}
EnvironmentFile=-{env_file}
Environment=PYTHONUNBUFFERED=1
{prepare}
ExecStart={python} -m dashboard.launcher
# The launcher restarts a crashed process itself; this restarts the launcher.
Restart=on-failure
RestartSec=5
# SIGTERM to the launcher only: it stops the apps, then Redis and the cloud, in order.
KillMode=mixed
TimeoutStopSec=45
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=multi-user.target
"""

PREPARE = (
    ("migrate", "--noinput"),
    ("collectstatic", "--noinput", "-v", "0"),
    ("bootstrap_demo",),
)


def unit_file(user: str, root: Path = ROOT, python: str = sys.executable) -> str:
    """The unit's text for running the checkout at `root` as `user` with `python`."""
    manage = shlex.join([python, str(root / "manage.py")])
    prepare = "\n".join(f"ExecStartPre={manage} {shlex.join(step)}" for step in PREPARE)
    return TEMPLATE.format(
        user=user,
        root=root,
        env_file=root / ".env",
        prepare=prepare,
        python=shlex.quote(python),
    )


def default_user() -> str:
    """Whoever ran `sudo make install-service`, else whoever runs this."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.service", description=__doc__)
    parser.add_argument("action", choices=["unit"], help="print the systemd unit")
    parser.add_argument("--user", default=None, help="the account it runs as (default: you)")
    args = parser.parse_args(argv)
    user = args.user or default_user()
    if user == "root":
        parser.error("run the dashboard as an ordinary user: pass --user NAME")
    sys.stdout.write(unit_file(user))


if __name__ == "__main__":
    main()
