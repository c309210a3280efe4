"""Periodic work of the review chains, scheduled by Celery beat (see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from workflows.review import review_deadlines_sweep


@shared_task(name="workflows.fire_timers", ignore_result=True)
def fire_timers() -> int:
    """Flag review tasks past their deadline and tell the level above (once per task).

    Safe when several beat/worker processes run it: each task is flagged under its row lock.
    """
    return review_deadlines_sweep()
