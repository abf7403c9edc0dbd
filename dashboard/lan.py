"""This machine's addresses on the home network, for `HOST=0.0.0.0 make run` (phones).

Found without the internet: the address the routing table would use towards a private network
(a UDP "connect" sends nothing), every interface's IPv4 address (psutil), and the host name.
The launcher turns them into ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS and the URL for phones.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import socket

import psutil

# Any private address will do: connect() on UDP only picks the outgoing interface.
_PROBE_TARGETS = ("192.168.255.255", "10.255.255.255", "172.31.255.255")
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]"})  # noqa: S104 - names, not a bind
LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


def lan_addresses() -> list[str]:
    """IPv4 addresses phones on the same network can reach, the likeliest first."""
    found: list[str] = []
    primary = _routed_address()
    if primary:
        found.append(primary)
    for addresses in psutil.net_if_addrs().values():
        found += [a.address for a in addresses if a.family == socket.AF_INET]
    with contextlib.suppress(OSError):
        found += [
            info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        ]
    return [a for a in dict.fromkeys(found) if _reachable_from_lan(a)]


def host_names() -> list[str]:
    """The machine's name, and its mDNS form that phones resolve on most home networks."""
    name = socket.gethostname().split(".")[0]
    return [name, f"{name}.local"] if name and name != "localhost" else []


def lan_environment(environ: dict[str, str], port: str) -> dict[str, str]:
    """Settings for serving the LAN: the given hosts and origins plus this machine's.

    Empty unless HOST is a wildcard address: a loopback-only site needs nothing more.
    """
    if environ.get("HOST", "") not in WILDCARD_HOSTS:
        return {}
    names = [*lan_addresses(), *host_names()]
    hosts = _split(environ.get("ALLOWED_HOSTS", "")) or list(LOCAL_HOSTS)
    origins = _split(environ.get("CSRF_TRUSTED_ORIGINS", ""))
    env = {
        "ALLOWED_HOSTS": ",".join(dict.fromkeys([*hosts, *names])),
        "CSRF_TRUSTED_ORIGINS": ",".join(
            dict.fromkeys([*origins, *(f"http://{n}:{port}" for n in names)])
        ),
        # All processes of `make run` share one VAR_DIR, so generated keys are shared too.
        "GENERATED_KEYS": environ.get("GENERATED_KEYS", "") or "true",
    }
    if names:
        env["PHONE_URL"] = environ.get("PHONE_URL", "") or f"http://{names[0]}:{port}/"
    return env


def local_host(host: str) -> str:
    """The address this machine opens the site at: a wildcard bind is reached on loopback."""
    return "127.0.0.1" if not host or host in WILDCARD_HOSTS else host


def terminal_qr(url: str) -> str:
    """A QR code of the URL drawn with block characters, for the start-up banner."""
    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def svg_qr(url: str) -> str:
    """An inline SVG QR code of the URL (dark modules on a light square, scalable)."""
    import segno

    return segno.make(url, error="m").svg_inline(
        scale=6, border=2, dark="#111", light="#fff", title=f"QR code for {url}"
    )


def _routed_address() -> str | None:
    for target in _PROBE_TARGETS:
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((target, 9))
            return str(sock.getsockname()[0])
    return None


def _reachable_from_lan(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
