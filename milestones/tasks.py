"""Periodic work of milestones (see CELERY_BEAT_SCHEDULE).

The task keeps the name it was registered under when milestones were navigation's, so the
beat schedule and any message already queued under that name keep working.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="navigation.milestones_overdue", ignore_result=True)
def milestones_overdue() -> int:
    """Escalate milestones past their due date; each is escalated once, so reruns are harmless."""
    from milestones.services import milestones_overdue as sweep

    return sweep()
