"""`python -m dashboard.serve [daphne options] dashboard.asgi:application`: Daphne on uvloop.

Daphne installs Twisted's asyncio reactor on a loop it creates when `daphne.server` is first
imported, before the application is loaded: the loop policy must be set before that import,
which is all this entry point does before handing over to Daphne's own command line.
"""

from __future__ import annotations

from dashboard import event_loop


def main() -> None:
    event_loop.install()
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
