"""Exit 0 when a realtime worker on this host reported in within the last 30 s (healthcheck)."""

from __future__ import annotations

import socket

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from realtime.redis import alive_key


class Command(BaseCommand):
    help = "Healthcheck for docker-compose: is this host's realtime worker alive?"

    def handle(self, *args: object, **options: object) -> None:
        client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        try:
            keys = sorted(client.keys(alive_key(f"{socket.gethostname()}-*")))
            reports = dict(zip(keys, client.mget(keys), strict=True)) if keys else {}
        finally:
            client.close()
        if not reports:
            raise CommandError("no realtime worker reported in from this host")
        for key, report in reports.items():
            self.stdout.write(f"alive: {key.rsplit(':', 1)[-1]} {report}")
