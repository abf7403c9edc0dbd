"""A worker holds a socket per account: it may use every descriptor its hard limit allows.

The usual soft limit (1024 under systemd and most shells) would stop a worker at about a
thousand accounts, with `accept`/`connect` failing with EMFILE for every account after them.
Raising the soft limit up to the hard one needs no privilege.
"""

from __future__ import annotations

import resource


def raise_to_hard_limit() -> int:
    """Lift the soft limit on open files to the hard limit; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard
