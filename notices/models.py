"""Public notices (公示) of applications selected for an award, and objections (异议) to them.

A step any programme may use: a notice lists applications (``NoticeEntry``), runs for a
number of working days, takes objections from anyone, and may be signed off when its
period is over and every objection is resolved. Which stage a listed application is at,
and what an upheld objection or the sign-off does to it, is the caller's (for navigation:
``navigation.services.selection`` and ``navigation.services.award``).

``Notice`` and ``Objection`` were created by the navigation app and keep their tables
(``db_table``); ``Objection.project`` points at the application objected to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notice(models.Model):
    """A public notice (公示) of the applications a programme selected, open for objections."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SIGNED_OFF = "signed_off", _("Signed off by the region")

    number = models.CharField(_("number"), max_length=30, unique=True)
    program = models.ForeignKey(
        "grants.Program",
        on_delete=models.PROTECT,
        related_name="notices",
        verbose_name=_("programme"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    published_at = models.DateTimeField(_("published at"))
    ends_at = models.DateTimeField(_("ends at"))
    working_days = models.PositiveSmallIntegerField(_("working days"))
    comment = models.TextField(_("city decision comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)

    class Meta:
        db_table = "navigation_notice"
        ordering = ["-published_at", "-id"]
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")

    def __str__(self) -> str:
        return self.number

    def is_open_for_objections(self, at=None) -> bool:
        return self.status == self.Status.OPEN and (at or timezone.now()) <= self.ends_at


class NoticeEntry(models.Model):
    """An application a notice lists, fixed when the notice is published. ``withdrawn``: an
    upheld objection took it off the notice (it is still shown, as withdrawn)."""

    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="entries", verbose_name=_("public notice")
    )
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="notice_entries",
        verbose_name=_("application"),
    )
    withdrawn = models.BooleanField(_("withdrawn after an objection"), default=False)

    class Meta:
        ordering = ["notice_id", "application_id"]
        verbose_name = _("application on a notice")
        verbose_name_plural = _("applications on notices")
        constraints = [
            models.UniqueConstraint(fields=["notice", "application"], name="notice_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.notice} · {self.application}"


class Objection(models.Model):
    """An objection (异议) filed on the public notice page, by anyone; it must be resolved."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        UPHELD = "upheld", _("Upheld: the project is withdrawn")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    project = models.ForeignKey(
        "grants.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("application"),
    )
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=100)
    text = models.TextField(_("objection"))
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        db_table = "navigation_objection"
        ordering = ["id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.notice} #{self.pk}"
