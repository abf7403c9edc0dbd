"""Subprocesses of `bench/live_latency.py`: starting, metering and stopping them."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import time
from typing import Any

import psutil

from cloudsim.testing import RunningCloudsim


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """Every subprocess we start, by role; all are stopped at the end, whatever happens."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen[Any]] = {}
        self.sim: RunningCloudsim | None = None

    def add(self, name: str, proc: subprocess.Popen[Any]) -> None:
        self.procs[name] = proc

    def pids(self) -> dict[str, int]:
        out = {n: p.pid for n, p in self.procs.items() if p.poll() is None}
        if self.sim is not None:
            out["cloudsim"] = self.sim.pid
        return out

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        # Redis last: the others may still write to it while they stop.
        for name in list(self.procs):
            if name != "redis":
                self.stop(name)
        if self.sim is not None:
            self.sim.stop()
            self.sim = None
        self.stop("redis")


class Meter:
    """CPU % (of one core) over a window and RSS at its end, per process."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {}
        for name, pid in pids.items():
            with contextlib.suppress(psutil.Error):
                self.procs[name] = psutil.Process(pid)
        self.procs["bench"] = psutil.Process()
        for proc in self.procs.values():
            with contextlib.suppress(psutil.Error):
                proc.cpu_percent(None)
        self.times = psutil.cpu_times()
        self.started = time.monotonic()

    def read(self) -> dict[str, tuple[float, float]]:
        out = {}
        for name, proc in self.procs.items():
            with contextlib.suppress(psutil.Error):
                out[name] = (proc.cpu_percent(None), proc.memory_info().rss / 2**20)
        # The whole machine, and what other programs (not started by us) used meanwhile.
        now = psutil.cpu_times()
        elapsed = max(1e-9, time.monotonic() - self.started)
        idle = (now.idle + getattr(now, "iowait", 0)) - (
            self.times.idle + getattr(self.times, "iowait", 0)
        )
        total = sum(now) - sum(self.times)
        busy = max(0.0, (total - idle) / elapsed * 100)
        ours = sum(cpu for cpu, _ in out.values())
        out["ALL"] = (busy, psutil.virtual_memory().used / 2**20)
        out["others"] = (max(0.0, busy - ours), 0.0)
        return out


async def ready_line(proc: subprocess.Popen[str], within_s: float) -> str:
    """The "ready ..." line a bench subprocess prints once it is up."""
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), within_s)
    if not line.startswith("ready"):
        raise RuntimeError(f"subprocess {proc.args!r} did not start: {line!r}")
    return line
