from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create the jurisdictions, demo accounts and the three programmes with this year's budgets (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--year", type=int, default=None, help="Programme year (default: this year)."
        )

    def handle(self, *args: Any, year: int | None = None, **options: Any) -> None:
        year = year or timezone.localdate().year
        programs = seed_demo(year)
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_demo: {len(programs)} programmes for {year}; "
                "accounts ready (password demo-pass-2026, demo only)."
            )
        )
