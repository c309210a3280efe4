import datetime as dt

from django.core.management.base import BaseCommand

from agencies.services.vouchers import vouchers_expire


class Command(BaseCommand):
    help = (
        "Expire unused service vouchers past their validity and release their budget hold "
        "(a ledger release entry each). Idempotent; Celery beat runs it hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, help="YYYY-MM-DD (default: today)"
        )

    def handle(self, *args, **options):
        count = vouchers_expire(today=options.get("today"))
        self.stdout.write(f"expired {count} voucher(s)")
