"""Patent navigation projects (专利导航): joint applications, experts, notice, contract, milestones.

A navigation project is a ``grants.Application`` of a ``navigation`` programme plus
the rows here. Its ``stage`` moves only through ``navigation.services``:

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
from django.utils.translation import gettext_lazy as _

from grants.models import MONEY, Level, localized

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
        verbose_name = _("declared conflict of interest")
        verbose_name_plural = _("declared conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["expert", "organization"], name="expert_conflict_once")
        ]

    def __str__(self) -> str:
        return f"{self.expert} ↔ {self.organization}"


class Stage(models.TextChoices):
    ELIGIBILITY = "eligibility", _("Eligibility review")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    SCORED = "scored", _("Scored")
    NOTICE = "notice", _("Selected, in public notice")
    NOT_SELECTED = "not_selected", _("Not selected")
    WITHDRAWN = "withdrawn", _("Withdrawn after an objection")
    AWARDED = "awarded", _("Awarded, under contract")
    ACCEPTED = "accepted", _("Accepted (验收)")


class Notice(models.Model):
    """A public notice (公示) of the projects the city selected, open for objections."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SIGNED_OFF = "signed_off", _("Signed off by the region")

    number = models.CharField(_("number"), max_length=30, unique=True)
    program = models.ForeignKey(
        "grants.Program",
        on_delete=models.PROTECT,
        related_name="notices",
        verbose_name=_("programme"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    published_at = models.DateTimeField(_("published at"))
    ends_at = models.DateTimeField(_("ends at"))
    working_days = models.PositiveSmallIntegerField(_("working days"))
    comment = models.TextField(_("city decision comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")

    def __str__(self) -> str:
        return self.number

    def is_open_for_objections(self, at=None) -> bool:
        return self.status == self.Status.OPEN and (at or timezone.now()) <= self.ends_at


class NavigationProject(models.Model):
    """The navigation part of an application: partners, industry, budget plan, stage, score."""

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
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
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


class ExpertDraw(models.Model):
    """One random draw of experts for a project, reproducible from its recorded seed.

    ``candidates`` is the ordered pool the draw saw (expert ids), ``skipped`` why each
    conflicted expert the shuffle reached was passed over, ``drawn`` the experts taken.
    ``navigation.draw.draw_experts(candidates, conflicts, n, seed)`` gives the same result again.
    """

    project = models.ForeignKey(NavigationProject, on_delete=models.CASCADE, related_name="draws")
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
        ordering = ["id"]
        verbose_name = _("expert draw")
        verbose_name_plural = _("expert draws")

    def __str__(self) -> str:
        return f"{self.project} seed {self.seed}"


class ExpertReview(models.Model):
    """An expert drawn for a project: declaration first, then scores per criterion."""

    class Status(models.TextChoices):
        DRAWN = "drawn", _("Drawn, declaration pending")
        DECLARED = "declared", _("No conflict declared, scoring")
        CONFLICT = "conflict", _("Conflict declared, replaced")
        SUBMITTED = "submitted", _("Scores submitted")

    project = models.ForeignKey(NavigationProject, on_delete=models.CASCADE, related_name="reviews")
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


class Objection(models.Model):
    """An objection (异议) filed on the public notice page, by anyone; it must be resolved."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        UPHELD = "upheld", _("Upheld: the project is withdrawn")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="objections")
    project = models.ForeignKey(
        NavigationProject,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
    )
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=100)
    text = models.TextField(_("objection"))
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.notice} #{self.pk}"


class Contract(models.Model):
    """The project contract (任务书): the award split into milestones, each with a tranche."""

    project = models.OneToOneField(
        NavigationProject, on_delete=models.PROTECT, related_name="contract"
    )
    number = models.CharField(_("number"), max_length=40, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    starts_on = models.DateField(_("starts on"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
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
