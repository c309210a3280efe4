"""The IP service agency registry (入驻/退出) and the service vouchers redeemed there.

One app for both: a voucher is only ever spent at an admitted agency, and the
redemption row joins the two; they change together (see README, "Vouchers and
agencies"). State changes go through ``agencies.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import MONEY


class Service(models.TextChoices):
    CUSTODY = "custody", _("IP custody")
    PATENT_FILING = "patent_filing", _("Patent filing")
    NAVIGATION = "navigation", _("Patent navigation")
    EARLY_WARNING = "early_warning", _("Early warning")
    VALUATION = "valuation", _("IP valuation")


def service_labels(codes) -> list[str]:
    """The services' names in the active language (unknown codes as they are)."""
    return [Service(c).label if c in Service.values else str(c) for c in codes or []]  # type: ignore[misc]  # lazy labels, rendered as str


class AgencyStatus(models.TextChoices):
    ADMITTED = "admitted", _("Admitted")
    SUSPENDED = "suspended", _("Suspended")
    EXITED = "exited", _("Exited")


class Agency(models.Model):
    """An organisation of kind ``service_agency`` admitted to the service cluster (集聚区入驻)."""

    organization = models.OneToOneField(
        "grants.Organization",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="agency",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AgencyStatus.choices, default=AgencyStatus.ADMITTED
    )
    services = models.JSONField(_("services"), default=list, blank=True)
    admitted_on = models.DateField(_("admitted on"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["organization__name"]
        verbose_name = _("service agency")
        verbose_name_plural = _("service agencies")

    def __str__(self) -> str:
        return self.organization.name

    @property
    def service_labels(self) -> list[str]:
        return service_labels(self.services)


class AgencyStatusChange(models.Model):
    """The status history: the status on a date is the latest change effective on or before it."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=AgencyStatus.choices)
    effective_on = models.DateField(_("effective on"))
    reason = models.CharField(_("reason"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = _("agency status change")
        verbose_name_plural = _("agency status changes")

    def __str__(self) -> str:
        return f"{self.agency} → {self.to_status} ({self.effective_on})"


class Qualification(models.Model):
    """A qualification document (资质) with an expiry date: warned 30 days ahead, suspends on expiry."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="qualifications")
    name = models.CharField(_("name"), max_length=200)
    number = models.CharField(_("number"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"))
    warned_on = models.DateField(_("expiry warning sent on"), null=True, blank=True)
    lapsed = models.BooleanField(_("lapsed (agency suspended)"), default=False)

    class Meta:
        ordering = ["expires_on", "id"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return f"{self.name} ({self.expires_on})"


class Penalty(models.Model):
    """An administrative penalty (行政处罚) against an agency: recording one exits the agency."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="penalties")
    decided_on = models.DateField(_("decided on"))
    authority = models.CharField(_("deciding authority"), max_length=200)
    document_number = models.CharField(_("decision number"), max_length=100)
    reason = models.CharField(_("reason"), max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = _("administrative penalty")
        verbose_name_plural = _("administrative penalties")

    def __str__(self) -> str:
        return f"{self.agency} {self.document_number}"


class VoucherTerms(models.Model):
    """What a programme of kind ``voucher`` issues: the face value is the programme's cap."""

    program = models.OneToOneField(
        "grants.Program",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="voucher_terms",
        limit_choices_to={"kind": "voucher"},
    )
    validity_days = models.PositiveIntegerField(
        _("validity (days from issue)"),
        default=180,
        help_text=_(
            "A voucher expires at the end of the last day; it is also never valid after the programme closes."
        ),
    )
    annual_quota = models.PositiveIntegerField(_("annual quota (SMEs)"), default=1000)
    eligible_services = models.JSONField(_("eligible services"), default=list, blank=True)

    class Meta:
        verbose_name = _("voucher terms")
        verbose_name_plural = _("voucher terms")

    def __str__(self) -> str:
        return str(self.program)


class VoucherStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    REDEEMED = "redeemed", _("Redeemed at an agency")
    USED = "used", _("Used (claim approved)")
    EXPIRED = "expired", _("Expired")
    VOID = "void", _("Void (claim rejected)")


class Voucher(models.Model):
    """A service voucher (服务券) of one SME in one programme year.

    ``number`` is public (letters, lists); ``code`` is the unguessable secret the
    QR code carries (192 bits). The face value is held in the budget from issue
    (a ``commit`` ledger entry without an application) until the claim is
    approved, rejected, or the voucher expires (a ``release`` entry).
    """

    number = models.CharField(_("number"), max_length=30, unique=True)
    code = models.CharField(_("code"), max_length=64, unique=True, editable=False)
    program = models.ForeignKey(
        "grants.Program",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="vouchers",
    )
    sme = models.ForeignKey(
        "grants.Organization",
        verbose_name=_("SME"),
        on_delete=models.PROTECT,
        related_name="vouchers",
    )
    face_value = models.DecimalField(_("face value"), **MONEY)
    services = models.JSONField(_("eligible services"), default=list)
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=VoucherStatus.choices,
        default=VoucherStatus.ISSUED,
        db_index=True,
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    hold = models.ForeignKey(
        "finance.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("budget hold"),
    )
    hold_release = models.ForeignKey(
        "finance.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("budget release"),
    )
    closed_at = models.DateTimeField(_("used, expired or void at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("service voucher")
        verbose_name_plural = _("service vouchers")
        constraints = [
            # one voucher per SME per programme (a programme is one year)
            models.UniqueConstraint(fields=["program", "sme"], name="voucher_one_per_sme_program"),
            models.CheckConstraint(
                condition=Q(face_value__gt=0), name="voucher_face_value_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def service_labels(self) -> list[str]:
        return service_labels(self.services)


class Redemption(models.Model):
    """The SME assigned its voucher to an admitted agency for a service under a contract.

    ``voucher`` is one-to-one: the database refuses a second redemption of a
    voucher, also under concurrent requests. ``claim`` is the agency's
    reimbursement claim, an application of the voucher programme.
    """

    voucher = models.OneToOneField(Voucher, on_delete=models.PROTECT, related_name="redemption")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="redemptions")
    service = models.CharField(_("service"), max_length=20, choices=Service.choices)
    contract_number = models.CharField(_("contract number"), max_length=100)
    contract_date = models.DateField(_("contract date"))
    contract_price = models.DecimalField(_("contract price"), **MONEY)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), default=timezone.now, editable=False)
    claim = models.OneToOneField(
        "grants.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher_redemption",
        verbose_name=_("reimbursement claim"),
    )
    held = models.BooleanField(
        _("held for review"),
        default=False,
        help_text=_("Set when the agency exited while the claim was open."),
    )
    held_reason = models.CharField(_("why held"), max_length=500, blank=True)

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_price__gt=0), name="redemption_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voucher} @ {self.agency}"
