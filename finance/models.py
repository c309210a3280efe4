"""Budgets and their append-only ledger; disbursement batches; the merit queue.

A ``Budget`` is one programme's money for one year; its totals are a cache of
its ``LedgerEntry`` rows, updated in the same transaction with ``F()``
expressions, and the database refuses any state where more is committed than
allocated or more paid than committed. How the cache follows from the entries:

    allocated = Σ allocate
    committed = Σ commit − Σ release
    paid      = Σ pay

``disburse`` entries record an award going out in a batch and ``reverse``
entries undo them when the batch is cancelled; neither moves a total.
The database also refuses a second commitment or a second payment of one award.

An award may instead be paid in ``Tranche`` parts (a navigation project's 40/30/30
on its milestones): each part is committed when its condition is met, then paid,
each once; the parts add up to the award.
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

    def __str__(self) -> str:  # shown to people (ledger, queue): the programme's name
        return f"{self.program.display_name} {self.year}"

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
    batch = models.ForeignKey(
        "finance.DisbursementBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("disbursement batch"),
    )
    tranche = models.ForeignKey(
        "finance.Tranche",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=_("tranche"),
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
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(kind="commit", tranche__isnull=True),
                name="ledger_one_commitment_per_award",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(kind="pay", tranche__isnull=True),
                name="ledger_one_payment_per_award",
            ),
            models.UniqueConstraint(
                fields=["tranche"],
                condition=Q(kind="commit"),
                name="ledger_one_commitment_per_tranche",
            ),
            models.UniqueConstraint(
                fields=["tranche"], condition=Q(kind="pay"), name="ledger_one_payment_per_tranche"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("ledger entries are append-only; record a reversal instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("ledger entries are append-only; record a reversal instead")


class DisbursementBatch(models.Model):
    """Awards paid together in one bank transfer file; ``paid`` with the bank's reference."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    total = models.DecimalField(_("total"), **MONEY)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("paid or cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("disbursement batch")
        verbose_name_plural = _("disbursement batches")
        constraints = [
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(reference=""), name="batch_reference_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | ~Q(reference=""), name="batch_paid_has_reference"
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="batch_total_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class DisbursementItem(models.Model):
    """One award in a batch. ``active`` while the batch is open or paid: an award is in at most one."""

    batch = models.ForeignKey(DisbursementBatch, on_delete=models.PROTECT, related_name="items")
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="disbursement_items",
        verbose_name=_("application"),
    )
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="+")
    tranche = models.ForeignKey(
        "finance.Tranche",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disbursement_items",
        verbose_name=_("tranche"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    active = models.BooleanField(_("active"), default=True)
    # The payee as the batch was made: the organisation's name and its confirmed bank
    # details then. The payment file reads these, so a later change of the organisation's
    # details never rewrites a batch (empty for items made before the details existed).
    payee_name = models.CharField(_("payee"), max_length=200, blank=True)
    payee_uscc = models.CharField(_("payee's USCC"), max_length=18, blank=True)
    account_name = models.CharField(_("account name (开户名称)"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank (开户银行)"), max_length=100, blank=True)
    account_number = models.CharField(_("account number (账号)"), max_length=32, blank=True)
    cnaps_code = models.CharField(_("bank code (行号, CNAPS)"), max_length=12, blank=True)
    bank_confirmed_at = models.DateTimeField(_("bank details confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("disbursement item")
        verbose_name_plural = _("disbursement items")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(active=True, tranche__isnull=True),
                name="disbursement_award_in_one_live_batch",
            ),
            models.UniqueConstraint(
                fields=["tranche"],
                condition=Q(active=True),
                name="disbursement_tranche_in_one_live_batch",
            ),
            models.UniqueConstraint(
                fields=["batch", "application", "tranche"], name="disbursement_item_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} {self.application} {self.amount}"


class QueueEntry(models.Model):
    """An approved award waiting for budget under a programme's merit-queue policy (择优).

    Ranked by ``rank``, the application's merit under the programme's ranking (higher first;
    None, no merit computed, last), then by submission time. Never by the award amount.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for budget")
        COMMITTED = "committed", _("Committed")

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="queue_entries",
        verbose_name=_("application"),
    )
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="queue")
    amount = models.DecimalField(_("amount"), **MONEY)
    rank = models.DecimalField(_("merit"), max_digits=24, decimal_places=4, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = [F("rank").desc(nulls_last=True), "queued_at", "id"]
        verbose_name = _("merit queue entry")
        verbose_name_plural = _("merit queue")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="waiting"),
                name="queue_award_waits_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="queue_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application} #{self.rank}"


class Tranche(models.Model):
    """A part of an award paid on a condition (a milestone accepted), committed and paid once.

    ``planned`` until its condition is met; ``committed`` (a commit entry) after; ``paid``
    when the bank paid it. The parts of one award add up to its amount (checked when the
    plan is made and by the reconciliation report).
    """

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned: condition not met yet")
        COMMITTED = "committed", _("Committed")
        PAID = "paid", _("Paid")

    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="tranches",
        verbose_name=_("application"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    label = models.CharField(_("label"), max_length=100)
    condition = models.CharField(_("condition"), max_length=200, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["application_id", "position"]
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [
            models.UniqueConstraint(fields=["application", "position"], name="tranche_position"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application} #{self.position} {self.amount}"
