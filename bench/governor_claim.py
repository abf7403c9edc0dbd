"""The cloud governor's fair claim in Redis: its cost per call with N accounts waiting.

A starting realtime worker heals every account it holds, so thousands of accounts wait for
the governor at once, each asking again when its turn should have come.

    .venv/bin/python bench/governor_claim.py [--waiting 1000,10000] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
django.setup()

from accounts.governor import shared_governor  # noqa: E402
from dashboard.loop_redis import loop_client  # noqa: E402

CLAIMS = 200  # timed claims, each by an account already waiting


async def per_claim_ms(url: str, waiting: int) -> float:
    governor = shared_governor(url)
    governor.prefix = f"bench:governor:{uuid.uuid4().hex}"
    try:
        for account in range(waiting):  # the first is served, the rest wait
            await governor.claim("/dispatch/app", str(account))
        started = time.perf_counter()
        for account in range(CLAIMS):
            await governor.claim("/dispatch/app", str(account))
        return (time.perf_counter() - started) / CLAIMS * 1000
    finally:
        client = loop_client(url)
        async for key in client.scan_iter(f"{governor.prefix}:*"):
            await client.delete(key)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", default="1000,10000", help="accounts waiting, comma-separated")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()
    for waiting in (int(n) for n in args.waiting.split(",")):
        ms = await per_claim_ms(args.redis_url, waiting)
        print(f"{waiting:>6} accounts waiting: {ms:.3f} ms per claim (Redis round trip included)")


if __name__ == "__main__":
    asyncio.run(main())
