"""The processes of `make run` under one supervisor that restarts what crashes.

honcho's Manager (used before) ends the whole run as soon as any child exits: a crash of the
realtime worker took the web, Celery, Redis and the simulated cloud down with it. Its loop
has no hook to restart a child, so subclassing it would mean rewriting that loop; this module
is that loop, small and ours.

Each child runs `sh -c COMMAND` in its own session (so its own process group: a stop reaches
its whole tree, and a terminal's Ctrl-C reaches only us). A thread per child prefixes its
output with the time and its name, as honcho did. A child that exits while we are not stopping
is started again after a backoff (1, 2, 4 … 30 s by crashes in the window); one that crashes
`max_crashes` times within `window` seconds is left stopped, with a log line saying so, and
the rest keep running. Each running child's pid is in `RUN_DIR/NAME.pid`.

SIGINT or SIGTERM stops everything: SIGTERM to each group (the apps first, then the services
they use, e.g. Redis, so the apps' clean shutdown can still reach them), SIGKILL to a group
still there after `stop_timeout` seconds.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

TICK = 0.2  # seconds between looks at the children


@dataclass(frozen=True)
class RestartPolicy:
    """How soon a crashed child is started again, and when it is left stopped."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    max_crashes: int = 5
    window: float = 120.0

    def delay(self, recent_crashes: int) -> float:
        """Seconds to wait before the next start, after `recent_crashes` in the window."""
        return min(self.max_delay, self.first_delay * float(2 ** max(0, recent_crashes - 1)))


@dataclass
class Child:
    """One supervised command and what became of it."""

    name: str
    command: str
    process: subprocess.Popen[bytes] | None = None
    crashes: collections.deque[float] = field(default_factory=collections.deque)
    start_at: float | None = 0.0  # monotonic time of the next start; None: not to be started
    given_up: bool = False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Starts `processes` (name → shell command), keeps them running, stops them on a signal."""

    def __init__(
        self,
        processes: dict[str, str],
        *,
        env: dict[str, str],
        cwd: Path,
        run_dir: Path,
        policy: RestartPolicy = RestartPolicy(),
        stop_last: Iterable[str] = (),
        stop_timeout: float = 10.0,
        out: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = {name: Child(name, command) for name, command in processes.items()}
        self.env = env
        self.cwd = cwd
        self.run_dir = run_dir
        self.policy = policy
        self.stop_last = set(stop_last)
        self.stop_timeout = stop_timeout
        self.out = out or sys.stdout
        self.clock = clock
        self.width = max([len(n) for n in processes] + [len("supervisor")])
        self._print_lock = threading.Lock()
        self._stopping = threading.Event()

    # ---- running -------------------------------------------------------------------------

    def run(self) -> int:
        """Until SIGINT/SIGTERM (or `stop()`); then stop every child. Returns the exit status."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not self._stopping.is_set():
                self.tick()
                self._stopping.wait(TICK)
        finally:
            self.stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    def stop(self) -> None:
        self._stopping.set()

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stopping.is_set():
            return  # already on the way out
        self.log(f"{signal.Signals(signum).name} received: stopping everything")
        self._stopping.set()

    def tick(self) -> None:
        """Notice children that exited; start those whose time has come."""
        now = self.clock()
        for child in self.children.values():
            if child.process is not None and child.process.poll() is not None:
                self._exited(child, now)
            if child.process is None and child.start_at is not None and now >= child.start_at:
                self._start(child)

    def _start(self, child: Child) -> None:
        child.start_at = None
        child.process = subprocess.Popen(  # noqa: S603 - our own commands (the launcher's plan)
            ["/bin/sh", "-c", child.command],
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._pid_file(child).parent.mkdir(parents=True, exist_ok=True)
        self._pid_file(child).write_text(f"{child.process.pid}\n")
        self.log(f"{child.name} started (pid {child.process.pid})")
        assert child.process.stdout is not None
        threading.Thread(
            target=self._relay, args=(child.name, child.process.stdout), daemon=True
        ).start()

    def _exited(self, child: Child, now: float) -> None:
        assert child.process is not None
        code = child.process.returncode
        self._signal_group(child, signal.SIGKILL)  # what it left behind (e.g. pool processes)
        child.process = None
        self._pid_file(child).unlink(missing_ok=True)
        how = f"killed by {_signal_name(-code)}" if code < 0 else f"exit code {code}"
        while child.crashes and child.crashes[0] < now - self.policy.window:
            child.crashes.popleft()
        child.crashes.append(now)
        recent = len(child.crashes)
        if recent >= self.policy.max_crashes:
            child.given_up = True
            self.log(
                f"{child.name} stopped unexpectedly ({how}), {recent} times within "
                f"{self.policy.window:.0f} s: leaving it stopped; the rest keep running"
            )
            return
        delay = self.policy.delay(recent)
        child.start_at = now + delay
        self.log(f"{child.name} stopped unexpectedly ({how}); restarting it in {delay:g} s")

    # ---- stopping ------------------------------------------------------------------------

    def stop_all(self) -> None:
        """SIGTERM each running child's group, the apps before the services; SIGKILL laggards."""
        first = [c for c in self.children.values() if c.name not in self.stop_last]
        last = [c for c in self.children.values() if c.name in self.stop_last]
        for wave in (first, last):
            self._stop_wave(wave)

    def _stop_wave(self, children: list[Child]) -> None:
        running = [c for c in children if c.running]
        for child in running:
            self._signal_group(child, signal.SIGTERM)
        deadline = self.clock() + self.stop_timeout
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.0, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                self.log(f"{child.name} did not stop within {self.stop_timeout:.0f} s: killing it")
            # Whatever it left in its group goes too (a group's id is not reused while it
            # has members).
            self._signal_group(child, signal.SIGKILL)
            child.process.wait()
            self._pid_file(child).unlink(missing_ok=True)
            self.log(f"{child.name} stopped")
        for child in children:
            child.start_at = None

    def _signal_group(self, child: Child, signum: int) -> None:
        assert child.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signum)

    # ---- output --------------------------------------------------------------------------

    def _pid_file(self, child: Child) -> Path:
        return self.run_dir / f"{child.name}.pid"

    def _relay(self, name: str, stream: IO[bytes]) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                self._print(name, raw.decode(errors="replace").rstrip("\n"))

    def log(self, text: str) -> None:
        """A line of the supervisor's own, among the children's."""
        self._print("supervisor", text)

    def _print(self, name: str, text: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {name.ljust(self.width)} | {text}\n"
        with self._print_lock:
            self.out.write(line)
            self.out.flush()


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
