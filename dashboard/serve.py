"""`python -m dashboard.serve [daphne options] dashboard.asgi:application`: Daphne as we run it.

On uvloop: Daphne installs Twisted's asyncio reactor on a loop it creates when
`daphne.server` is first imported, before the application is loaded, so the loop policy is
set before that import. With writes sent at once (`dashboard.twisted_writes`). Then Daphne's
own command line takes over.
"""

from __future__ import annotations

from dashboard import event_loop, twisted_writes


def main() -> None:
    event_loop.install()
    from daphne.cli import CommandLineInterface

    twisted_writes.send_writes_at_once()
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
