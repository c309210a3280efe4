"""Award letters, refusal notices and acceptance certificates: versioned templates, issued
letters, batch re-issues, and who issues them.

A letter is issued once per (application, kind, version): the unique constraint
makes the Celery task idempotent. An application has at most one chain of
versions per kind: its decision letter (award or refusal) and, for a navigation
project, its acceptance certificate (验收证书); each chain is re-issued and
superseded on its own. It is issued in the name of an ``IssuingAuthority`` (the
bureau of the level that decided); its number (乌知运〔2026〕12号) comes from that
authority's gap-free, row-locked counter per 机关代字 and year of issue; its
verification code is 120 random bits in Crockford base32 (``letters.codes``;
letters issued before it keep their 192-bit URL-safe codes). The stored PDF and its
SHA-256 never change; a correction is a new version, and the older one is superseded.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import MONEY, Level


class TemplateKind(models.TextChoices):
    """The shipped templates (``templates/letters/<kind>.html``), and ``award``: a programme's
    own award letter (a programme's own templates are named by their letter kind)."""

    AWARD = "award", _("Award letter")
    CERTIFICATION = "certification", _("Certification subsidy award letter")
    VOUCHER = "voucher", _("Service voucher award letter")
    NAVIGATION = "navigation", _("Patent navigation award letter")
    REFUSAL = "refusal", _("Refusal notice")
    ACCEPTANCE = "acceptance", _("Patent navigation acceptance certificate")
    GENERAL = "general", _("Award letter (general grant)")


class LetterTemplate(models.Model):
    """One version of a letter template. Rows are never edited: saving in the admin adds a version.

    Without a programme, a shipped template of its kind (and its administrators' versions),
    used by every programme that has none of its own. With a programme, that programme's own
    template for a letter kind (``award``, ``refusal``, ``acceptance``): no other programme
    ever gets its wording."""

    program = models.ForeignKey(
        "grants.Program",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="letter_templates",
        verbose_name=_("programme"),
        help_text=_("Empty: the shared template of its kind, for programmes without their own."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TemplateKind.choices)
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(
        _("template"),
        help_text=_(
            "Django template source; usually extends letters/_document.html (GB/T 9704). "
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
        ordering = ["program_id", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"],
                condition=Q(program__isnull=True),
                name="letter_template_version",
            ),
            models.UniqueConstraint(
                fields=["program", "kind", "version"],
                condition=Q(program__isnull=False),
                name="letter_template_program_version",
            ),
        ]
        verbose_name = _("letter template version")
        verbose_name_plural = _("letter template versions")

    def __str__(self) -> str:
        owner = f"{self.program.name} · " if self.program_id and self.program else ""
        return f"{owner}{self.get_kind_display()} v{self.version}"


HAN_ONLY = RegexValidator(
    r"^[\u4e00-\u9fa5]+$", _("Chinese characters only, without letters, digits or hyphens.")
)
SEAL_MAX_BYTES = 1024 * 1024


def validate_seal(upload) -> None:
    """A seal image is a PNG (transparent around the seal) of at most 1 MB, checked by content."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > SEAL_MAX_BYTES:
        raise ValidationError(_("The seal image may be at most 1 MB."))
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        kind = None
    finally:
        upload.seek(0)
    if kind != "PNG":
        raise ValidationError(_("The seal image must be a PNG file."))


class IssuingAuthority(models.Model):
    """The authority that issues letters in a jurisdiction's name: the bureau of that level.

    Its name heads the letter in red (发文机关标志) and signs it, its 机关代字 heads the
    letter's number (乌知运〔2026〕12号), its seal image (if any) is the visible mark of its
    digital signature, and ``signing_key`` names the key and certificate configured for it
    by environment (``letters.signing``)."""

    jurisdiction = models.OneToOneField(
        "grants.Jurisdiction",
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="issuing_authority",
        verbose_name=_("jurisdiction"),
    )
    name = models.CharField(
        _("name of the authority"),
        max_length=100,
        help_text=_(
            "Printed in red at the head of its letters and as their signature, "
            "e.g. 乌鲁木齐市市场监督管理局（知识产权局）."
        ),
    )
    code_prefix = models.CharField(
        _("agency code (机关代字)"),
        max_length=10,
        validators=[HAN_ONLY],
        help_text=_("The head of its letter numbers: 乌知运 gives 乌知运〔2026〕12号."),
    )
    reconsideration_body = models.CharField(
        _("reconsideration body (复议机关)"),
        max_length=100,
        help_text=_(
            "Where its refusals say an applicant may apply for administrative reconsideration, "
            "e.g. 乌鲁木齐市人民政府. A programme may name another."
        ),
    )
    seal = models.FileField(
        _("seal image"),
        upload_to="letters/seals/",
        blank=True,
        validators=[validate_seal],
        help_text=_(
            "A PNG of the seal on a transparent background, printed 42 mm wide over the "
            "signature and date as the visible mark of the digital signature. Empty: the "
            "place of the seal is left blank."
        ),
    )
    signing_key = models.CharField(
        _("signing key"),
        max_length=40,
        blank=True,
        help_text=_(
            "The name of its key and certificate in the environment: NAME means "
            "LETTER_SIGNING_KEY_NAME and LETTER_SIGNING_CERT_NAME. Empty: LETTER_SIGNING_KEY "
            "and LETTER_SIGNING_CERT (in the demo, a self-signed certificate of its own)."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["jurisdiction"]
        verbose_name = _("issuing authority")
        verbose_name_plural = _("issuing authorities")

    def __str__(self) -> str:
        return f"{self.name}（{self.code_prefix}）"

    def clean(self) -> None:
        key = (self.signing_key or "").strip()
        if key and not key.replace("_", "").isalnum():
            raise ValidationError({"signing_key": _("Use letters, digits and underscores.")})
        self.signing_key = key.upper()


class ProgramLetterSettings(models.Model):
    """What a programme's letters cite and who issues its awards and certificates."""

    program = models.OneToOneField(
        "grants.Program",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="letter_settings",
        verbose_name=_("programme"),
    )
    regulation = models.CharField(
        _("regulation (管理办法)"),
        max_length=200,
        help_text=_("The measures the programme's letters cite, without 《》."),
    )
    issuer_level = models.CharField(
        _("level that issues awards"),
        max_length=10,
        choices=Level.choices,
        default=Level.CITY,
        help_text=_(
            "Award letters and certificates are issued in the name of this level's authority "
            "(after the last level's approval). Refusals are issued by the level that refused."
        ),
    )
    reconsideration_body = models.CharField(
        _("reconsideration body (复议机关)"),
        max_length=100,
        blank=True,
        help_text=_("Empty: the one configured for the authority that refused."),
    )
    reconsideration_days = models.PositiveSmallIntegerField(
        _("days to apply for reconsideration"), default=60
    )
    litigation_months = models.PositiveSmallIntegerField(
        _("months to bring an administrative lawsuit"), default=6
    )
    copy_to = models.CharField(
        _("copies also to (抄送)"),
        max_length=300,
        blank=True,
        help_text=_(
            "Offices that receive a copy besides the authorities of the review chain, "
            "separated by 、 (e.g. 乌鲁木齐市财政局)."
        ),
    )

    class Meta:
        verbose_name = _("programme letter settings")
        verbose_name_plural = _("programme letter settings")

    def __str__(self) -> str:
        return str(self.program)


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
    # Who issues it, fixed when it is numbered (None for letters issued before authorities).
    authority = models.ForeignKey(
        IssuingAuthority,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=_("issuing authority"),
    )
    issuer_name = models.CharField(_("issued in the name of"), max_length=100, blank=True)
    signed_by = models.CharField(_("signed by (certificate)"), max_length=300, blank=True)
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
