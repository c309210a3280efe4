"""Award letters, refusal notices and acceptance certificates: versioned templates, issued
letters, batch re-issues.

A letter is issued once per (application, kind, version): the unique constraint
makes the Celery task idempotent. An application has at most one chain of
versions per kind: its decision letter (award or refusal) and, for a navigation
project, its acceptance certificate (验收证书); each chain is re-issued and
superseded on its own. Its number (乌知运〔2026〕CS-0001号) comes
from a gap-free, row-locked counter per number prefix and programme year; its
verification code is 192 random bits. The stored PDF and its SHA-256 never
change; a correction is a new version, and the older one is superseded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import MONEY


class TemplateKind(models.TextChoices):
    CERTIFICATION = "certification", _("Certification subsidy award letter")
    VOUCHER = "voucher", _("Service voucher award letter")
    NAVIGATION = "navigation", _("Patent navigation award letter")
    REFUSAL = "refusal", _("Refusal notice")
    ACCEPTANCE = "acceptance", _("Patent navigation acceptance certificate")


class LetterTemplate(models.Model):
    """One version of a letter template. Rows are never edited: saving in the admin adds a version."""

    kind = models.CharField(_("kind"), max_length=20, choices=TemplateKind.choices)
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(
        _("template"),
        help_text=_(
            "Django template source; usually extends letters/_base.html. "
            "Letters issued after saving use the new version; issued letters never change."
        ),
    )
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="letter_template_version")
        ]
        verbose_name = _("letter template version")
        verbose_name_plural = _("letter template versions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class LetterKind(models.TextChoices):
    AWARD = "award", _("Award letter")
    REFUSAL = "refusal", _("Refusal notice")
    ACCEPTANCE = "acceptance", _("Acceptance certificate")


# The letter that answers an application (GET /applications/{id}/letter): never a certificate.
DECISION_KINDS = (LetterKind.AWARD, LetterKind.REFUSAL)


class LetterStatus(models.TextChoices):
    PENDING = "pending", _("Being issued")
    ISSUED = "issued", _("Issued")
    SUPERSEDED = "superseded", _("Superseded by a later version")
    REVOKED = "revoked", _("Revoked")


def letter_path(instance: Letter | None, filename: str) -> str:
    return f"letters/{timezone.now():%Y/%m}/{filename}"


class ReissueBatch(models.Model):
    """An administrator's re-issue of many letters as new versions (e.g. after a template fix)."""

    reason = models.CharField(_("reason"), max_length=300)
    program = models.ForeignKey(
        "grants.Program",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=LetterKind.choices, blank=True)
    total = models.PositiveIntegerField(_("letters to issue"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("letter re-issue batch")
        verbose_name_plural = _("letter re-issue batches")

    def __str__(self) -> str:
        return f"#{self.pk} {self.reason}"

    @property
    def done(self) -> int:
        return self.letters.exclude(status=LetterStatus.PENDING).count()

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class Letter(models.Model):
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=LetterKind.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    template = models.ForeignKey(
        LetterTemplate, on_delete=models.PROTECT, related_name="letters", verbose_name=_("template")
    )
    number = models.CharField(_("letter number"), max_length=60)
    code = models.CharField(_("verification code"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=LetterStatus.choices, default=LetterStatus.PENDING
    )
    # What the letter says, fixed when it is numbered (later edits of the organisation do not change it).
    organization_name = models.CharField(_("organisation"), max_length=200)
    organization_uscc = models.CharField(_("unified social credit code"), max_length=18)
    program_name = models.CharField(_("programme"), max_length=200)
    amount = models.DecimalField(_("amount"), null=True, blank=True, **MONEY)
    created_at = models.DateTimeField(_("numbered at"), default=timezone.now, editable=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=letter_path, max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)
    render_ms = models.PositiveIntegerField(_("render time (ms)"), null=True, blank=True)
    batch = models.ForeignKey(
        ReissueBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=_("re-issue batch"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("why revoked"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        constraints = [
            # one letter per kind and version: what makes the issuing task idempotent
            models.UniqueConstraint(
                fields=["application", "kind", "version"], name="letter_per_kind_version"
            ),
            # a number names one document; its re-issues keep the number with a new version
            models.UniqueConstraint(fields=["number", "version"], name="letter_number_version"),
            models.CheckConstraint(
                condition=Q(status="pending") | (~Q(sha256="") & Q(issued_at__isnull=False)),
                name="letter_issued_has_pdf_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def is_valid(self) -> bool:
        return self.status == LetterStatus.ISSUED
