"""Budgets and their append-only ledger.

A ``Budget`` is one programme's money for one year; its totals are a cache of
its ``LedgerEntry`` rows, updated in the same transaction with ``F()``
expressions, and the database refuses any state where more is committed than
allocated or more paid than committed.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import MONEY


class Source(models.TextChoices):
    CENTRAL = "central", _("Central government")
    REGION = "region", _("Autonomous region")
    CITY = "city", _("City")


class Budget(models.Model):
    program = models.ForeignKey(
        "grants.Program",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="budgets",
    )
    year = models.PositiveIntegerField(_("year"))
    allocated = models.DecimalField(_("allocated"), default=Decimal("0.00"), **MONEY)
    committed = models.DecimalField(_("committed"), default=Decimal("0.00"), **MONEY)
    paid = models.DecimalField(_("paid"), default=Decimal("0.00"), **MONEY)

    class Meta:
        ordering = ["-year", "program__code"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="budget_unique_program_year"),
            models.CheckConstraint(
                condition=Q(allocated__gte=0), name="budget_allocated_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(committed__gte=0), name="budget_committed_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(committed__lte=F("allocated")), name="budget_available_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(paid__gte=0) & Q(paid__lte=F("committed")),
                name="budget_paid_within_committed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} {self.year}"

    @property
    def available(self) -> Decimal:
        return self.allocated - self.committed


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        ALLOCATE = "allocate", _("Allocation")
        COMMIT = "commit", _("Commitment")
        RELEASE = "release", _("Release")
        DISBURSE = "disburse", _("Disbursement")
        PAY = "pay", _("Payment")
        REVERSE = "reverse", _("Reversal")

    budget = models.ForeignKey(
        Budget, on_delete=models.PROTECT, related_name="entries", verbose_name=_("budget")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, blank=True)
    application = models.ForeignKey(
        "grants.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("application"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("ledger entries are append-only; record a reversal instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("ledger entries are append-only; record a reversal instead")
