"""Celery tasks of letters. Tasks take ids, load fresh rows and are idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from grants.errors import DomainError
from grants.outbox import OutboxTask

log = logging.getLogger(__name__)


@shared_task(
    name="letters.issue",
    base=OutboxTask,  # fed by the outbox: done when it returns
    bind=True,
    acks_late=True,  # acknowledged only when done: a lost worker's letter is redelivered
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=60,  # one letter renders in tens of milliseconds; anything near this is stuck
    time_limit=90,
    ignore_result=True,
)
def issue_letter(
    self, application_id: int, kind: str, version: int = 1, batch_id: int | None = None
) -> int | None:
    from grants.models import Application
    from letters.services import letter_issue

    try:
        letter = letter_issue(
            application_id=application_id, kind=kind, version=version, batch_id=batch_id
        )
    except DomainError as exc:  # the state says no (e.g. revoked meanwhile): retrying cannot help
        log.warning("letter for application %s v%s not issued: %s", application_id, version, exc)
        return None
    except Application.DoesNotExist:  # a message older than its database (e.g. after a reset)
        log.warning("letter for application %s not issued: no such application", application_id)
        return None
    return letter.pk


@shared_task(name="letters.sweep_pending", ignore_result=True)
def sweep_pending() -> int:
    """A letter left ``pending`` longer than a worker may take, with no outbox message still
    on its way (one from before the outbox, or whose message was lost), is issued again."""
    from letters.services import letters_pending_resume

    return letters_pending_resume()
