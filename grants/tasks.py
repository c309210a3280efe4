"""Celery tasks of the grant domain. Tasks take ids, load fresh rows and are idempotent."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from grants.audit import audit_seal
from grants.models import Invitation, Membership
from grants.notifications import Notification, render_notification
from grants.organizations import invitation_link
from grants.outbox import OutboxTask, outbox_sweep


@shared_task(
    name="grants.notification_email", base=OutboxTask, bind=True, max_retries=5, acks_late=True
)
def notification_email(self: Task[[int], bool], notification_id: int) -> bool:
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


@shared_task(
    name="grants.invitation_email", base=OutboxTask, bind=True, max_retries=5, acks_late=True
)
def invitation_email(self: Task[[int], bool], invitation_id: int) -> bool:
    """The invitation to someone without an account yet: its link, by e-mail, once."""
    updated = Invitation.objects.filter(pk=invitation_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not updated:  # already sent, or gone
        return False
    invitation = Invitation.objects.select_related("organization", "invited_by").get(
        pk=invitation_id
    )
    subject, body = render_notification(
        "invitation",
        settings.LANGUAGE_CODE,
        {
            "organization": invitation.organization,
            "inviter": invitation.invited_by,
            "role_label": str(Membership.Role(invitation.role).label),
            "link": invitation_link(invitation),
            "expires": invitation.expires_at,
            "site_url": settings.FUNDFLOW_SITE_URL,
        },
    )
    try:
        send_mail(subject, body, None, [invitation.email])
    except OSError as exc:
        Invitation.objects.filter(pk=invitation_id).update(emailed_at=None)
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
    return True


@shared_task(name="grants.audit_seal", ignore_result=True)
def seal_audit() -> int:
    """Link the committed audit entries into the chain and sign a checkpoint."""
    return audit_seal()


@shared_task(name="grants.outbox_sweep", ignore_result=True)
def sweep_outbox() -> int:
    """Hand over again every outbox message not done (broker was down, worker died)."""
    return outbox_sweep()
