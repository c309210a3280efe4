"""A review process: one submission round of one application through its chain of levels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process


class ReviewProcess(Process):
    application = models.ForeignKey(
        "grants.Application",
        on_delete=models.PROTECT,
        related_name="review_processes",
        verbose_name=_("application"),
    )
    round = models.PositiveIntegerField(_("submission round"))
    chain = models.JSONField(_("review chain"), default=list)

    class Meta:
        verbose_name = _("review process")
        verbose_name_plural = _("review processes")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "round"], name="review_process_one_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} #{self.round}"
