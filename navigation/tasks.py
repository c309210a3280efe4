"""Periodic work of navigation projects (see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="navigation.milestones_overdue", ignore_result=True)
def milestones_overdue() -> int:
    """Escalate milestones past their due date; each is escalated once, so reruns are harmless."""
    from navigation.services import milestones_overdue as sweep

    return sweep()
