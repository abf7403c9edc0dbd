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
            alive = client.keys(alive_key(f"{socket.gethostname()}-*"))
        finally:
            client.close()
        if not alive:
            raise CommandError("no realtime worker reported in from this host")
        self.stdout.write(f"alive: {', '.join(sorted(alive))}")
