"""Contracts (任务书) with milestones, each reported by the applicant, reviewed level by level
and paid by its tranche (``finance.Tranche``) once accepted.

A step any programme may use: it needs nothing of a programme kind beyond an application;
the review chain of the milestones comes from the programme (the caller passes it).
The tables were created by the navigation app and keep their names (``db_table``);
``Contract.project`` points at the application under contract.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import MONEY, localized


class Contract(models.Model):
    """The project contract (任务书): the award split into milestones, each with a tranche."""

    project = models.OneToOneField(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="contract",
        verbose_name=_("application"),
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    starts_on = models.DateField(_("starts on"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        db_table = "navigation_contract"
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return self.number


class Milestone(models.Model):
    """A milestone of a contract: reported by the applicant, reviewed like an application;
    its acceptance commits its tranche, which finance may then pay."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUBMITTED = "submitted", _("Submitted, in review")
        RETURNED = "returned", _("Returned for changes")
        ACCEPTED = "accepted", _("Accepted")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="milestones")
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    due_on = models.DateField(_("due on"))
    share = models.PositiveSmallIntegerField(_("share of the award (%)"))
    tranche = models.OneToOneField(
        "finance.Tranche",
        on_delete=models.PROTECT,
        related_name="milestone",
        verbose_name=_("tranche"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    report = models.TextField(_("report"), blank=True)
    level_index = models.PositiveSmallIntegerField(_("review level index"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("overdue escalated at"), null=True, blank=True)

    class Meta:
        db_table = "navigation_milestone"
        ordering = ["contract_id", "position"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["contract", "position"], name="milestone_position")
        ]

    def __str__(self) -> str:
        return f"{self.contract} #{self.position} {self.label}"

    @property
    def display_label(self) -> str:
        return localized(self.label, self.label_en)
