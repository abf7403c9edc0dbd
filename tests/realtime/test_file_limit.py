"""The worker and cloudsim lift their open-file limit: a socket per account needs thousands."""

from __future__ import annotations

import resource
import subprocess
import sys

REPORT = "import resource; print(*resource.getrlimit(resource.RLIMIT_NOFILE))"


def _limits_after(call: str) -> tuple[int, int]:
    """(soft, hard) in a child that starts with a soft limit of 256 and runs `call`."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]

    def low_soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    out = subprocess.run(
        [sys.executable, "-c", f"{call}; {REPORT}"],
        capture_output=True, text=True, check=True, timeout=60, preexec_fn=low_soft_limit,
    ).stdout.split()  # fmt: skip
    return int(out[0]), int(out[1])


def test_the_worker_lifts_its_soft_limit_to_the_hard_one() -> None:
    call = "from realtime.worker.file_limit import raise_to_hard_limit; raise_to_hard_limit()"
    soft, hard = _limits_after(call)
    assert soft == hard > 256


def test_cloudsim_lifts_its_limit_as_far_as_it_may() -> None:
    soft, hard = _limits_after("from cloudsim.__main__ import raise_file_limit; raise_file_limit()")
    assert soft == hard > 256  # the hard one too where the process is allowed (root here may not)
