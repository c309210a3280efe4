"""Patent navigation projects (专利导航): the joint application, its partners and its stage.

A navigation project is a ``grants.Application`` of a ``navigation`` programme plus
the rows here. The steps after eligibility are apps of their own that need nothing of
navigation beyond the application: ``experts`` (draw, declaration, scores), ``notices``
(public notice and objections), ``milestones`` (contract, milestones and their tranches).
The project's ``stage`` moves only through ``navigation.services``:

    eligibility ─▶ expert_review ─▶ scored ─▶ notice ─▶ awarded ─▶ accepted
                                        └▶ not_selected   └▶ withdrawn (objection upheld)

Everything the administrator tunes (experts per application, weighted criteria,
notice length, target count, milestones with their tranche shares) is a
``NavigationConfig`` row per programme, edited in the admin.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from grants.models import Level, localized


def default_criteria() -> list[dict]:
    return [
        {
            "code": "base",
            "label": "产业基础与需求",
            "label_en": "Industry base and need",
            "weight": 25,
        },
        {
            "code": "plan",
            "label": "实施方案可行性",
            "label_en": "Feasibility of the plan",
            "weight": 30,
        },
        {"code": "agency", "label": "服务机构能力", "label_en": "Agency capability", "weight": 25},
        {"code": "impact", "label": "预期成果与效益", "label_en": "Expected results", "weight": 20},
    ]


def default_milestones() -> list[dict]:
    return [
        {
            "code": "midterm",
            "label": "中期报告",
            "label_en": "Mid-term report",
            "share": 40,
            "due_months": 6,
        },
        {
            "code": "final_report",
            "label": "结题报告及专利导航分析报告",
            "label_en": "Final report with the navigation analysis report",
            "share": 30,
            "due_months": 12,
        },
        {
            "code": "acceptance",
            "label": "项目验收",
            "label_en": "Acceptance",
            "share": 30,
            "due_months": 15,
        },
    ]


def default_milestone_levels() -> list[str]:
    return [Level.CITY.value]


def validate_criteria(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("The criteria are a non-empty list."))
    codes = set()
    for item in value:
        if not isinstance(item, dict) or not {"code", "label", "weight"} <= set(item):
            raise ValidationError(_("Each criterion has code, label and weight."))
        weight = item["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int) or weight <= 0:
            raise ValidationError(_("A weight is a positive whole number."))
        codes.add(item["code"])
    if len(codes) != len(value):
        raise ValidationError(_("A criterion code appears twice."))
    if sum(item["weight"] for item in value) != 100:
        raise ValidationError(_("The weights add up to 100."))


def validate_milestones(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("The milestones are a non-empty list."))
    for item in value:
        if not isinstance(item, dict) or not {"code", "label", "share", "due_months"} <= set(item):
            raise ValidationError(_("Each milestone has code, label, share and due_months."))
        for key in ("share", "due_months"):
            number = item[key]
            if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
                raise ValidationError(_("share and due_months are positive whole numbers."))
    if sum(item["share"] for item in value) != 100:
        raise ValidationError(_("The tranche shares of the milestones add up to 100."))


def validate_milestone_levels(value) -> None:
    if not isinstance(value, list) or not value or any(v not in Level.values for v in value):
        raise ValidationError(_('A non-empty list of levels, e.g. ["city"].'))


class NavigationConfig(models.Model):
    """How a navigation programme runs: configuration, not code."""

    program = models.OneToOneField(
        "grants.Program",
        on_delete=models.CASCADE,
        related_name="navigation_config",
        verbose_name=_("programme"),
    )
    experts_per_application = models.PositiveSmallIntegerField(
        _("experts per application"),
        default=5,
        help_text=_("With 5 or more, the highest and lowest scores are dropped."),
    )
    criteria = models.JSONField(
        _("weighted criteria"),
        default=default_criteria,
        validators=[validate_criteria],
        help_text=_(
            '[{"code", "label", "label_en", "weight"}], weights add up to 100; each '
            "criterion is scored 0–100."
        ),
    )
    notice_working_days = models.PositiveSmallIntegerField(
        _("public notice (working days)"), default=5
    )
    target_count = models.PositiveSmallIntegerField(_("target number of projects"), default=5)
    milestones = models.JSONField(
        _("milestones and tranche shares"),
        default=default_milestones,
        validators=[validate_milestones],
        help_text=_(
            '[{"code", "label", "label_en", "share", "due_months"}]; the shares (per cent '
            "of the award, e.g. 40/30/30) add up to 100."
        ),
    )
    milestone_levels = models.JSONField(
        _("milestone review chain"),
        default=default_milestone_levels,
        validators=[validate_milestone_levels],
    )

    class Meta:
        verbose_name = _("navigation configuration")
        verbose_name_plural = _("navigation configurations")
        constraints = [
            models.CheckConstraint(
                condition=Q(experts_per_application__gte=1), name="navigation_config_experts"
            ),
            models.CheckConstraint(
                condition=Q(notice_working_days__gte=1), name="navigation_config_notice_days"
            ),
        ]

    def __str__(self) -> str:
        return str(self.program)

    def criterion_label(self, item: dict) -> str:
        return localized(item["label"], item.get("label_en", ""))


class Stage(models.TextChoices):
    ELIGIBILITY = "eligibility", _("Eligibility review")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    SCORED = "scored", _("Scored")
    NOTICE = "notice", _("Selected, in public notice")
    NOT_SELECTED = "not_selected", _("Not selected")
    WITHDRAWN = "withdrawn", _("Withdrawn after an objection")
    AWARDED = "awarded", _("Awarded, under contract")
    ACCEPTED = "accepted", _("Accepted (验收)")


class NavigationProject(models.Model):
    """The navigation part of an application: partners, industry, budget plan, stage, score."""

    # the place in its call's ranking, set by navigation.services.selection.ranking (not stored)
    rank: int | None = None

    application = models.OneToOneField(
        "grants.Application",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="navigation",
        verbose_name=_("application"),
    )
    industry = models.CharField(_("target industry"), max_length=20)
    deliverables = models.JSONField(_("deliverables"), default=list)
    budget_plan = models.JSONField(
        _("budget plan by year"),
        default=list,
        help_text=_('[{"year": 2026, "amount": "300000.00"}]'),
    )
    stage = models.CharField(
        _("stage"), max_length=15, choices=Stage.choices, default=Stage.ELIGIBILITY, db_index=True
    )
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("navigation project")
        verbose_name_plural = _("navigation projects")

    def __str__(self) -> str:
        return str(self.application)

    @property
    def budget_total(self) -> Decimal:
        return sum((Decimal(row["amount"]) for row in self.budget_plan), Decimal("0.00"))

    @cached_property
    def notice(self):
        """The public notice listing the project (``notices.NoticeEntry``), or None before the
        city's selection. Lists prefetch it (``navigation.selectors.notice_entries``)."""
        entries = list(self.application.notice_entries.all())  # reverse FK of notices.NoticeEntry
        latest = max(entries, key=lambda e: e.notice_id, default=None)
        return latest.notice if latest else None


class Partner(models.Model):
    """A partner IP service agency of a joint application; it confirms before submission."""

    project = models.ForeignKey(
        NavigationProject, on_delete=models.CASCADE, related_name="partners"
    )
    organization = models.ForeignKey(
        "grants.Organization", on_delete=models.PROTECT, related_name="navigation_partnerships"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("partner agency")
        verbose_name_plural = _("partner agencies")
        constraints = [
            models.UniqueConstraint(fields=["project", "organization"], name="partner_once")
        ]

    def __str__(self) -> str:
        return f"{self.project} + {self.organization}"
