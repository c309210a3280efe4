"""Periodic work of the review chains, scheduled by Celery beat (see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="workflows.fire_timers", ignore_result=True)
def fire_timers() -> int:
    """Fire due review deadlines (viewflow Timer tasks stored in the database).

    Safe when several beat/worker processes run it: each timer is re-checked
    under its process lock and fires once.
    """
    from viewflow.workflow.timers import fire_due_timers

    return fire_due_timers()
