"""The short chaos soak (issue 17) in CI: a change that breaks recovery fails here.

Two minutes of load with a seeded subset of faults through the real processes (cloudsim,
Redis, PostgreSQL, two Daphnes, two realtime workers, Celery); the run's own checks decide
(exit 1 on any violation), and the table's zero counts are asserted here as well.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAULTS = "kill_realtime,ws_drop,redis_restart,relink,kill_daphne,logged_elsewhere"


def _value(table: str, check: str) -> str:
    found = re.search(rf"^{re.escape(check)}\s+(.+?)\s{{2,}}", table, re.M)
    assert found, f"no row {check!r} in:\n{table}"
    return found.group(1).strip()


@pytest.mark.integration
@pytest.mark.timeout(330)  # two minutes of load, set-up and up to a minute to converge
def test_two_minutes_of_chaos_lose_nothing():
    database = os.environ.get("DATABASE_URL", "")
    assert database.startswith("postgres"), "the soak creates its own PostgreSQL database"
    run = subprocess.run(
        [sys.executable, "bench/chaos_soak.py", "--minutes", "2", "--seed", "1",
         "--faults", FAULTS, "--fault-every", "15", "--accounts", "12", "--pages", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=330, check=False,
    )  # fmt: skip
    out = run.stdout
    assert "RESULT: PASS" in out, out[-6000:] + run.stderr[-3000:]
    assert run.returncode == 0
    assert _value(out, "convergence: divergent things (pages vs cloud)") == "0"
    assert _value(out, "convergence: divergent things (DB vs cloud)") == "0"
    assert _value(out, "commands: silent losses (no final result)") == "0"
    assert _value(out, "commands: more than one final result") == "0"
    assert _value(out, "commands: device ≠ last successful command") == "0"
    assert _value(out, "leases: most cloud sockets of one account+APPID") == "1"
    assert _value(out, "leases: accounts without a cloud socket at the end") == "0"
    assert _value(out, "relink: the faulted account needs relink") == "needs_relink"
    assert _value(out, "relink: other accounts ever needing relink") == "0"
    # Every scheduled fault really happened.
    for kind in FAULTS.split(","):
        assert f"fault: {kind}" in out, kind
