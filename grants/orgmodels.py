"""Records around an organisation's people and money: who asks to join, who is invited,
who proves their authority, what is disputed, which bank details wait for confirmation.

Kept beside ``grants.models`` (which imports this module at its end); the domain actions
that write them are in ``grants.organizations``, each with its audit row.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # grants.models imports this module at its end
    from grants.models import Organization


class JoinRequest(models.Model):
    """Someone who found the organisation already registered asks to act for it.

    A plain request is decided by the organisation's administrators. A **claim** says the
    registration was made without the organisation's authority: it carries an authorisation
    letter, opens a dispute (the organisation takes no new application) and is decided by a
    district reviewer when the dispute is resolved.
    """

    class Kind(models.TextChoices):
        JOIN = "join", _("Request to join")
        CLAIM = "claim", _("Claim of the organisation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organization = models.ForeignKey(
        "grants.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="join_requests",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.CASCADE,
        related_name="join_requests",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.JOIN)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=Q(status="pending"),
                name="join_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organization_id} ({self.status})"


class Invitation(models.Model):
    """An administrator invites a colleague by e-mail; the link in the e-mail accepts it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for acceptance")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    organization = models.ForeignKey(
        "grants.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(
        _("role"),
        max_length=10,
        choices=[("admin", _("Administrator")), ("staff", _("Staff"))],
        default="staff",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(status="pending"),
                name="invitation_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization_id} ({self.status})"


def letter_path(instance: AuthorityLetter, filename: str) -> str:
    """Stored under a name the uploader does not choose."""
    suffix = PurePath(filename).suffix.lower()
    return f"authority-letters/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class AuthorityLetter(models.Model):
    """An authorisation letter (授权委托书, PDF): the organisation authorises this person to
    act for it. Given at registration or with a claim; a district reviewer checks it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the reviewer's check")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    organization = models.ForeignKey(
        "grants.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="authority_letters",
    )
    join_request = models.ForeignKey(
        JoinRequest,
        verbose_name=_("claim"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="letters",
    )
    file = models.FileField(_("file"), upload_to=letter_path, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    comment = models.TextField(_("reviewer's comment"), blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("authorisation letter")
        verbose_name_plural = _("authorisation letters")

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.original_name} ({self.status})"


class OrganizationDispute(models.Model):
    """Who may act for the organisation is disputed: until a district reviewer resolves it,
    the organisation takes no new application (those already filed go on)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    organization = models.ForeignKey(
        "grants.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="disputes",
    )
    claim = models.ForeignKey(
        JoinRequest,
        verbose_name=_("claim"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    reason = models.TextField(_("reason"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("organisation dispute")
        verbose_name_plural = _("organisation disputes")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(status="open"), name="dispute_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.status}"


class BankDetailsChange(models.Model):
    """New bank details proposed by an administrator, paid to only once confirmed by another
    administrator (or a district reviewer where the organisation has one administrator)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organization = models.ForeignKey(
        "grants.Organization",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="bank_changes",
    )
    account_name = models.CharField(_("account name (开户名称)"), max_length=200)
    bank_name = models.CharField(_("bank (开户银行)"), max_length=100)
    account_number = models.CharField(_("account number (账号)"), max_length=32)
    cnaps_code = models.CharField(_("bank code (行号, CNAPS)"), max_length=12, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("bank details change")
        verbose_name_plural = _("bank details changes")
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status="pending"),
                name="bank_change_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.bank_name} ({self.status})"


class UsccRegionOverride(models.Model):
    """An administrator's exception to the USCC region check, with its reason: the code's
    registration authority lies outside the district's city, and the organisation may
    register in that district all the same (used once)."""

    uscc = models.CharField(_("unified social credit code"), max_length=18)
    district = models.ForeignKey(
        "grants.Jurisdiction",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("granted at"), default=timezone.now, editable=False)
    organization: models.ForeignKey[Organization | None, Organization | None] = models.ForeignKey(
        "grants.Organization",
        verbose_name=_("used by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("USCC region exception")
        verbose_name_plural = _("USCC region exceptions")
        constraints = [
            models.UniqueConstraint(
                fields=["uscc", "district"],
                condition=Q(organization__isnull=True),
                name="uscc_override_one_unused",
            )
        ]

    def __str__(self) -> str:
        return f"{self.uscc} @ {self.district_id}"
