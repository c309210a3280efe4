"""Programme definitions as versions, and where an application stands in its programme's steps.

``ProgramVersion``: one version of a programme's definition document (``fundflow.program/1``,
``programs.definition``). The version in force is the newest ``active`` one. Before a
programme received its first application an administrator changes it directly (the version
in force is recorded when the first application is submitted); afterwards a change is a
``draft`` that a second administrator approves after reading its diff against the version in
force. An application keeps the version it was submitted under (the version in force at its
submission: ``programs.versions.version_of``).

``StepProgress``: an application of a programme that switched steps on by configuration
(``Program.steps``: expert review, public notice, milestones), from the chain's approval to
its award (``programs.steps``). Navigation keeps its own stages (``navigation.models``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProgramVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft, waiting for a second administrator")
        ACTIVE = "active", _("In force")
        SUPERSEDED = "superseded", _("Superseded by a later version")
        REJECTED = "rejected", _("Rejected")

    program = models.ForeignKey(
        "grants.Program",
        on_delete=models.CASCADE,
        related_name="definition_versions",
        verbose_name=_("programme"),
    )
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    document = models.JSONField(_("definition"))
    sha256 = models.CharField("SHA-256", max_length=64)
    based_on = models.PositiveIntegerField(_("drafted from version"), null=True, blank=True)
    note = models.CharField(_("what changes and why"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    activated_at = models.DateTimeField(_("in force from"), null=True, blank=True)

    class Meta:
        ordering = ["program", "-number"]
        verbose_name = _("programme definition version")
        verbose_name_plural = _("programme definition versions")
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="program_version_unique"),
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(state="active"),
                name="program_version_one_in_force",
            ),
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(state="draft"),
                name="program_version_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code} v{self.number} ({self.get_state_display()})"


class Stage(models.TextChoices):
    EXPERT_REVIEW = "expert_review", _("Expert review")
    RANKED = "ranked", _("Ranked, waiting for the selection")
    NOTICE = "notice", _("Selected, in public notice")
    NOT_SELECTED = "not_selected", _("Not selected")
    WITHDRAWN = "withdrawn", _("Withdrawn after an objection")
    AWARDED = "awarded", _("Awarded")
    ACCEPTED = "accepted", _("Accepted (验收)")


class StepProgress(models.Model):
    """An application in the steps its programme switched on, after the review chain."""

    application = models.OneToOneField(
        "grants.Application",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="step_progress",
        verbose_name=_("application"),
    )
    stage = models.CharField(_("stage"), max_length=15, choices=Stage.choices, db_index=True)
    score = models.DecimalField(
        _("expert score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["application_id"]
        verbose_name = _("application in its programme's steps")
        verbose_name_plural = _("applications in their programmes' steps")

    def __str__(self) -> str:
        return f"{self.application} · {self.get_stage_display()}"
