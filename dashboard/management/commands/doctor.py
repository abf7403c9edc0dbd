"""Check a real-cloud configuration before first use; exit non-zero when something needs fixing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dashboard import doctor
from ewelink.regions import REGIONS, as_region


class Command(BaseCommand):
    help = (
        "Check the eWeLink app credentials (one harmless signed call), the clock, and that "
        "ALLOWED_HOSTS / CSRF_TRUSTED_ORIGINS match the URL people open."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--url", default="", help="the URL people open (default: SITE_URL or HOST:PORT)"
        )
        parser.add_argument(
            "--region",
            default="eu",
            choices=REGIONS,
            help="the region of your eWeLink account (default eu)",
        )

    def handle(self, *args: object, **options: object) -> None:
        url = str(options["url"] or doctor.default_url())
        findings = doctor.run_checks(url, as_region(str(options["region"])))
        for finding in findings:
            self.stdout.write(finding.line())
        problems = [f for f in findings if not f.ok]
        if problems:
            raise CommandError(f"{len(problems)} problem(s) to fix, listed above.", returncode=1)
        self.stdout.write("All checks passed.")
