"""The expert pool (评审专家库) and the expert review of an application.

A step any programme may use: it needs nothing of a programme kind beyond an
``grants.Application``. The caller says which field of expertise to match, which
organisations conflict and how many experts it wants (``experts.services``).

The tables were created by the navigation app and keep their names (``db_table``);
the foreign keys named ``project`` point at the application under review (the
navigation project's primary key is the application id, so the values did not change).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The fields of expertise of the pool: the key industries of the plan.
INDUSTRIES = [
    "先进结构材料",
    "装备制造",
    "化工",
    "新材料",
    "新能源",
    "信息产业",
    "生物医药",
    "纺织服装",
]


class Expert(models.Model):
    """A member of the expert pool (评审专家库): a user with the expert role and fields of expertise."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert"
    )
    name = models.CharField(_("name"), max_length=100)
    employer = models.ForeignKey(
        "grants.Organization",
        verbose_name=_("employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experts",
        help_text=_("An expert is never drawn for an application of this organisation."),
    )
    title = models.CharField(_("title"), max_length=100, blank=True)
    industries = models.JSONField(_("fields of expertise"), default=list)
    is_active = models.BooleanField(_("in the pool"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        db_table = "navigation_expert"
        ordering = ["id"]
        verbose_name = _("expert")
        verbose_name_plural = _("expert pool")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.industries, list) or any(
            i not in INDUSTRIES for i in self.industries
        ):
            raise ValidationError(
                {"industries": _("Choose from: %(i)s") % {"i": "、".join(INDUSTRIES)}}
            )


class ExpertConflict(models.Model):
    """A conflict of interest an expert declared with an organisation, before any draw."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="conflicts")
    organization = models.ForeignKey(
        "grants.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    reason = models.CharField(_("reason"), max_length=200)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    class Meta:
        db_table = "navigation_expertconflict"
        verbose_name = _("declared conflict of interest")
        verbose_name_plural = _("declared conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["expert", "organization"], name="expert_conflict_once")
        ]

    def __str__(self) -> str:
        return f"{self.expert} ↔ {self.organization}"


class ExpertDraw(models.Model):
    """One random draw of experts for an application, reproducible from its recorded seed.

    ``candidates`` is the ordered pool the draw saw (expert ids), ``skipped`` why each
    conflicted expert the shuffle reached was passed over, ``drawn`` the experts taken.
    ``experts.draw.draw_experts(candidates, conflicts, n, seed)`` gives the same result again.
    """

    project = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="expert_draws",
        verbose_name=_("application"),
    )
    seed = models.CharField(_("seed"), max_length=40)
    wanted = models.PositiveSmallIntegerField(_("experts wanted"))
    candidates = models.JSONField(_("candidates"), default=list)
    conflicts = models.JSONField(_("conflicts of the candidates"), default=dict)
    drawn = models.JSONField(_("drawn"), default=list)
    skipped = models.JSONField(_("skipped"), default=list)
    replaces = models.ForeignKey(
        "ExpertReview", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        db_table = "navigation_expertdraw"
        ordering = ["id"]
        verbose_name = _("expert draw")
        verbose_name_plural = _("expert draws")

    def __str__(self) -> str:
        return f"{self.project} seed {self.seed}"


class ExpertReview(models.Model):
    """An expert drawn for an application: declaration first, then scores per criterion."""

    class Status(models.TextChoices):
        DRAWN = "drawn", _("Drawn, declaration pending")
        DECLARED = "declared", _("No conflict declared, scoring")
        CONFLICT = "conflict", _("Conflict declared, replaced")
        SUBMITTED = "submitted", _("Scores submitted")

    project = models.ForeignKey(
        "grants.Application",
        on_delete=models.CASCADE,
        related_name="expert_reviews",
        verbose_name=_("application"),
    )
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="reviews")
    draw = models.ForeignKey(ExpertDraw, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAWN
    )
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    conflict_reason = models.CharField(_("conflict declared"), max_length=300, blank=True)
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    total = models.DecimalField(
        _("weighted total"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        db_table = "navigation_expertreview"
        ordering = ["id"]
        verbose_name = _("expert review")
        verbose_name_plural = _("expert reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "expert"], name="expert_reviews_project_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} ← {self.expert}"
