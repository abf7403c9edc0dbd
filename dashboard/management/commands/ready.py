"""`manage.py ready [--web|--realtime|--celery]`: exit 0 when that process kind on this host
is ready (the compose health checks). Prints the readiness report as JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from dashboard import readiness


class Command(BaseCommand):
    help = "Readiness of this host's web, realtime worker or Celery worker (exit 1 if not)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        kinds = parser.add_mutually_exclusive_group()
        for kind in readiness.CHECKS:
            kinds.add_argument(
                f"--{kind}", dest="kind", action="store_const", const=kind, default="web"
            )

    def handle(self, *args: object, **options: object) -> None:
        answer = readiness.report(str(options["kind"]))
        self.stdout.write(json.dumps(answer))
        if not answer["ready"]:
            checks = answer["checks"].items()
            failed = [f"{name}: {c['error']}" for name, c in checks if not c["ok"]]
            raise CommandError("not ready: " + "; ".join(failed))
