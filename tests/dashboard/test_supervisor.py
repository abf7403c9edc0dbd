"""The supervisor of `make run` with real child processes: restart, give up, stop cleanly."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dashboard.supervisor import RestartPolicy, Supervisor
from tests.waiting import until

QUICK = RestartPolicy(first_delay=0.1, max_delay=0.4, max_crashes=3, window=30)


def make(tmp_path: Path, processes: dict[str, str], **options) -> tuple[Supervisor, io.StringIO]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    supervisor = Supervisor(
        processes, env=dict(os.environ), cwd=tmp_path, run_dir=tmp_path / "run", out=out,
        **{"policy": QUICK, **options},
    )  # fmt: skip
    return supervisor, out


def drive(supervisor: Supervisor, until: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the supervisor did not get there in time"
        supervisor.tick()
        time.sleep(0.05)


def pid_of(tmp_path: Path, name: str) -> int:
    path = tmp_path / "run" / f"{name}.pid"
    return int(path.read_text()) if path.exists() else 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_the_backoff_doubles_up_to_its_ceiling() -> None:
    policy = RestartPolicy(first_delay=1, max_delay=30)
    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_killed_process_is_started_again_and_the_others_keep_running(tmp_path: Path) -> None:
    supervisor, out = make(tmp_path, {"app": "exec sleep 60", "other": "exec sleep 60"})
    try:
        drive(supervisor, lambda: pid_of(tmp_path, "app") and pid_of(tmp_path, "other"))
        first, other = pid_of(tmp_path, "app"), pid_of(tmp_path, "other")
        os.kill(first, signal.SIGKILL)
        drive(supervisor, lambda: pid_of(tmp_path, "app") not in (0, first))
        assert alive(pid_of(tmp_path, "app"))
        assert pid_of(tmp_path, "other") == other
        assert alive(other)
        log = out.getvalue()
        assert "app stopped unexpectedly (killed by SIGKILL); restarting it in 0.1 s" in log
        assert f"app started (pid {pid_of(tmp_path, 'app')})" in log
    finally:
        supervisor.stop_all()


def test_a_process_that_keeps_crashing_is_left_stopped(tmp_path: Path) -> None:
    supervisor, out = make(tmp_path, {"crashy": "echo booting; exit 3", "web": "exec sleep 60"})
    try:
        drive(supervisor, lambda: supervisor.children["crashy"].given_up)
        # Its own output, prefixed with its name (relayed by a thread: it may trail a little).
        drive(supervisor, lambda: len(re.findall(r"crashy +\| booting", out.getvalue())) == 3)
        log = out.getvalue()
        assert "restarting it in 0.1 s" in log
        assert "restarting it in 0.2 s" in log
        assert "crashy stopped unexpectedly (exit code 3), 3 times within 30 s: leaving it" in log
        for _ in range(10):  # and it stays stopped
            supervisor.tick()
            time.sleep(0.05)
        assert pid_of(tmp_path, "crashy") == 0
        assert alive(pid_of(tmp_path, "web"))
    finally:
        supervisor.stop_all()


def test_crashes_spread_over_more_than_the_window_are_forgiven(tmp_path: Path) -> None:
    now = [0.0]
    policy = RestartPolicy(first_delay=1, max_delay=30, max_crashes=2, window=60)
    supervisor, out = make(tmp_path, {"app": "exit 1"}, policy=policy, clock=lambda: now[0])
    for moment in (0.0, 100.0, 200.0):  # one crash every 100 s: never two within 60 s
        now[0] = moment
        supervisor.tick()  # starts it
        supervisor.children["app"].process.wait()  # type: ignore[union-attr]
        supervisor.tick()  # sees it exit
    assert not supervisor.children["app"].given_up
    assert out.getvalue().count("restarting it in 1 s") == 3


def test_stopping_ends_every_process_tree_services_last(tmp_path: Path) -> None:
    # A child that started a grandchild of its own: stopping reaches the whole group.
    script = "sleep 60 & echo $! > grandchild.pid; wait"
    supervisor, out = make(tmp_path, {"redis": "exec sleep 60", "app": script}, stop_last=["redis"])
    drive(supervisor, lambda: (tmp_path / "grandchild.pid").exists() and pid_of(tmp_path, "redis"))
    grandchild = int((tmp_path / "grandchild.pid").read_text())
    pids = [pid_of(tmp_path, "redis"), pid_of(tmp_path, "app")]
    supervisor.stop_all()
    assert not any(alive(pid) for pid in pids)  # waited for: gone on return
    # The grandchild got its group's SIGKILL, but nobody waits for it: it is gone once the
    # kernel next runs it, which on a busy machine is not always before this line.
    until(lambda: not alive(grandchild), timeout=5, what="the grandchild's end")
    log = out.getvalue()
    assert log.index("app stopped") < log.index("redis stopped")
    assert not list((tmp_path / "run").glob("*.pid"))


def test_sigterm_stops_the_launcher_cleanly(tmp_path: Path) -> None:
    """`run()` in a process of its own, as `make run` and systemd use it."""
    code = (
        "import os, sys; from pathlib import Path; from dashboard.supervisor import Supervisor; "
        "s = Supervisor({'app': 'exec sleep 60'}, env=dict(os.environ), cwd=Path('.'), "
        f"run_dir=Path({str(tmp_path)!r})); sys.exit(s.run())"
    )
    root = Path(__file__).resolve().parents[2]
    launcher = subprocess.Popen(
        [sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True
    )
    pid_file = tmp_path / "app.pid"
    deadline = time.monotonic() + 10
    while not pid_file.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    app = int(pid_file.read_text())
    launcher.send_signal(signal.SIGTERM)
    output, _ = launcher.communicate(timeout=15)
    assert launcher.returncode == 0
    assert "SIGTERM received: stopping everything" in output
    assert "app stopped" in output
    with pytest.raises(ProcessLookupError):
        os.kill(app, 0)
