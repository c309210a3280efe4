"""Flag review tasks past their deadline (what Celery beat does every minute), e.g. from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from workflows.review import review_deadlines_sweep


class Command(BaseCommand):
    help = "Flag every open review task past its deadline and notify the level above, once."

    def handle(self, *args: Any, **options: Any) -> None:
        flagged = review_deadlines_sweep()
        self.stdout.write(f"{flagged} review task(s) flagged overdue")
