"""`python -m cloudsim --host H --port P [--demo] [--state F] [--app ID:SECRET[:oauth] ...]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import resource
import signal
import ssl
import sys

from .app import build_app, ready_info, start_site
from .config import AppCredential, SimConfig
from .keys import CLOUD


def parse_args(argv: list[str] | None = None) -> SimConfig:
    parser = argparse.ArgumentParser(prog="cloudsim", description="eWeLink cloud simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help="load the demo household")
    parser.add_argument("--state", help="JSON file that keeps state across restarts")
    parser.add_argument(
        "--app",
        action="extend",
        nargs="+",
        default=[],
        metavar="ID:SECRET[:oauth]",
        help="an app the cloud knows; ':oauth' makes it a free app limited to OAuth",
    )
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    apps = []
    for item in args.app:
        appid, sep, rest = item.partition(":")
        secret, _, tier = rest.partition(":")
        if not sep or not appid or not secret or tier not in ("", "oauth"):
            parser.error(f"--app expects ID:SECRET or ID:SECRET:oauth, got {item!r}")
        apps.append(AppCredential(appid, secret, oauth_only=tier == "oauth"))
    return SimConfig(
        host=args.host,
        port=args.port,
        demo=args.demo,
        state_file=args.state,
        apps=apps,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
    )


def ssl_context(config: SimConfig) -> ssl.SSLContext | None:
    if not config.tls:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(config.tls_cert), str(config.tls_key))
    return context


async def serve(config: SimConfig) -> None:
    app = build_app(config)
    runner = await start_site(app, ssl_context(config))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(json.dumps(ready_info(app[CLOUD])) + "\n")
    sys.stdout.flush()
    await stop.wait()
    await runner.cleanup()


FILE_LIMIT = 65536  # a socket per account and client: the benchmark's 10,000 accounts hold 20,000


def raise_file_limit() -> None:
    """Tens of thousands of sockets need more descriptors than shells allow by default.

    The hard limit is raised too where the process may (root, or CAP_SYS_RESOURCE): at a hard
    limit of 20,000 the benchmark's 10,000 accounts took every descriptor, and accept() failed
    from then on, for the last sockets and for the control API alike.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < FILE_LIMIT:
        with contextlib.suppress(ValueError, OSError):  # not privileged: the soft limit below
            resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))
            return
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = FILE_LIMIT if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def main(argv: list[str] | None = None) -> None:
    raise_file_limit()
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
