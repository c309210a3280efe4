import datetime as dt

from django.core.management.base import BaseCommand

from agencies.services.registry import qualifications_check


class Command(BaseCommand):
    help = (
        "Warn agencies and administrators 30 days before a qualification expires and suspend "
        "agencies whose qualification has expired. Idempotent; Celery beat runs it hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: today)"
        )

    def handle(self, *args, **options):
        result = qualifications_check(today=options.get("today"))
        self.stdout.write(f"warned {result['warned']}, suspended {result['suspended']}")
