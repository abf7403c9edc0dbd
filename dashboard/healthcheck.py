"""`python -m dashboard.healthcheck [PORT [PATH]]`: the web container's healthcheck.

It asks /readyz (database, Redis, migrations; or PATH, e.g. /healthz for liveness alone) the
way the reverse proxy does (a Host the site answers to, X-Forwarded-Proto),
so HTTPS=true's redirect and a production ALLOWED_HOSTS do not make a healthy web look dead.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def probe_host(allowed_hosts: str) -> str:
    """A host name ALLOWED_HOSTS accepts: its first entry, made concrete."""
    first = (allowed_hosts.split(",")[0].strip() if allowed_hosts else "") or "localhost"
    if first == "*":
        return "localhost"
    return "healthcheck" + first if first.startswith(".") else first


def main(port: str = "8000", path: str = "/readyz") -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={
            "Host": probe_host(os.environ.get("ALLOWED_HOSTS", "")),
            "X-Forwarded-Proto": "https",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
