"""Stored rule evaluations: the verdicts, the facts they judged and the award they computed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import MONEY


class Evaluation(models.Model):
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("application"),
    )
    rule_set_version = models.CharField(_("rule set version"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=20)  # submit, recheck, preview
    checks = models.JSONField(_("checks"), default=list)
    facts = models.JSONField(_("facts"), default=dict)
    award_amount = models.DecimalField(_("award amount"), null=True, blank=True, **MONEY)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rule evaluation")
        verbose_name_plural = _("rule evaluations")

    def __str__(self) -> str:
        return f"{self.application} {self.rule_set_version} {self.created_at:%Y-%m-%d %H:%M}"
