"""Notifications: an in-app list, and an e-mail in the recipient's language sent after commit.

``notify`` writes the rows inside the caller's transaction (so a rolled-back
action notifies nobody) and one outbox message per e-mail (``grants.outbox``), handed
to a worker after commit.
Texts come from ``templates/notifications/<kind>.txt`` (first line: subject).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from grants.outbox import outbox_enqueue_many

if TYPE_CHECKING:  # grants.models imports this module at its end
    from grants.models import Application, User


class Notification(models.Model):
    class Kind(models.TextChoices):
        NEW_TASK = "new_task", _("New review task")
        OVERDUE = "overdue", _("Review overdue")
        RETURNED = "returned", _("Application returned")
        REJECTED = "rejected", _("Application rejected")
        APPROVED = "approved", _("Application approved")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    application = models.ForeignKey(
        "grants.Application",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject

    # Replaces the display method Django generates for ``kind`` (hence the ignore).
    def get_kind_display(self) -> str:  # type: ignore[no-redef]
        """The kind's label, also for the kinds other apps send (not in ``Kind``: no migration)."""
        return str(KIND_LABELS.get(self.kind, self.kind))


# Kinds sent by the navigation and agency apps, labelled for the notification list.
OTHER_KINDS = {
    "expert_drawn": _("Drawn as an expert"),
    "navigation_eligible": _("Navigation project eligible"),
    "partner_named": _("Named as a partner agency"),
    "objection_filed": _("Objection filed"),
    "milestone_review": _("Milestone report to review"),
    "milestone_returned": _("Milestone report returned"),
    "milestone_overdue": _("Milestone overdue"),
    "qualification_warn": _("Qualification expiring"),
    "join_request": _("Request to join your organisation"),
    "join_decided": _("Your request to join"),
    "invitation": _("Invitation to an organisation"),
    "org_check": _("Organisation to check"),
    "dispute_opened": _("Organisation disputed"),
    "org_checked": _("Organisation checked"),
    "bank_change": _("Bank details to confirm"),
    "bank_decided": _("Bank details decided"),
}
KIND_LABELS = dict(Notification.Kind.choices) | OTHER_KINDS


def render_notification(kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    with translation.override(language):
        text = render_to_string(f"notifications/{kind}.txt", context).strip()
    subject, _sep, body = text.partition("\n")
    return subject.strip(), body.strip()


def notify(
    *,
    users: Iterable[User],
    kind: str,
    application: Application | None = None,
    context: dict[str, Any] | None = None,
) -> list[Notification]:
    """Tell each user, in their language; e-mail goes out after the transaction commits."""
    rows = []
    context = {
        "application": application,
        "site_url": settings.FUNDFLOW_SITE_URL,
        **(context or {}),
    }
    for user in {u.pk: u for u in users}.values():
        subject, body = render_notification(kind, user.language or settings.LANGUAGE_CODE, context)
        rows.append(
            Notification(user=user, kind=kind, application=application, subject=subject, body=body)
        )
    created = Notification.objects.bulk_create(rows)
    # e-mails are sent by a worker after commit, through the outbox
    outbox_enqueue_many(
        "grants.notification_email",
        [{"notification_id": note.pk} for note in created if note.user.email],
    )
    return created
