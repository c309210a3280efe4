"""Celery tasks of the grant domain. Tasks take ids, load fresh rows and are idempotent."""

from __future__ import annotations

from celery import Task, shared_task
from django.core.mail import send_mail
from django.utils import timezone


@shared_task(name="grants.notification_email", bind=True, max_retries=5, acks_late=True)
def notification_email(self: Task[[int], bool], notification_id: int) -> bool:
    from grants.notifications import Notification

    updated = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not updated:  # already sent, or gone
        return False
    note = Notification.objects.select_related("user").get(pk=notification_id)
    try:
        send_mail(note.subject, note.body, None, [note.user.email])
    except OSError as exc:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
    return True
