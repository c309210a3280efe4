"""The grant domain: who applies, where they are, what they apply for, what they claimed.

Money is ``Decimal`` with two places everywhere (``MONEY``). State changes go
through ``grants.services`` so that each writes its audit row in the same
transaction; models only hold data and invariants the database can enforce.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError


class MoneyDigits(TypedDict):
    """``DecimalField(**MONEY)``: typed so that the keywords check against DecimalField's."""

    max_digits: int
    decimal_places: int


MONEY: MoneyDigits = {"max_digits": 14, "decimal_places": 2}


def localized(zh: str, en: str) -> str:
    """The Chinese text, or the English one when the active language is English and it exists."""
    lang = (get_language() or "zh-hans").lower()
    return en if lang.startswith("en") and en else zh


class Level(models.TextChoices):
    REGION = "region", _("Autonomous region")
    CITY = "city", _("City")
    DISTRICT = "district", _("District / county")


class User(AbstractUser):
    """A person who logs in. What they may do comes from memberships and role assignments."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(
        _("language for notifications"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Jurisdiction(models.Model):
    """An administrative division by its GB/T 2260 code; ``path`` makes subtree queries one LIKE."""

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=100, editable=False, db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        # Granted per jurisdiction object with django-guardian (never per application).
        permissions = [("review_in", _("Can review applications in this jurisdiction"))]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        parent = self.parent if self.parent_id else None
        self.path = f"{parent.path}/{self.code}" if parent is not None else self.code
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    def clean(self) -> None:
        if not (self.code.isdigit() and len(self.code) == 6):
            raise ValidationError({"code": _("A GB/T 2260 code has six digits.")})
        expected_parent: dict[str, Level | None] = {
            Level.REGION: None,
            Level.CITY: Level.REGION,
            Level.DISTRICT: Level.CITY,
        }
        want = expected_parent.get(self.level)
        if want is None and self.parent_id:
            raise ValidationError({"parent": _("A region has no parent.")})
        if want is not None and (self.parent is None or self.parent.level != want):
            raise ValidationError(
                {"parent": _("The parent must be a %(level)s.") % {"level": Level(want).label}}
            )

    def covers(self, other: Jurisdiction) -> bool:
        return other.path == self.path or other.path.startswith(self.path + "/")


class OrganizationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    UNIVERSITY = "university", _("University")
    RESEARCH_INSTITUTE = "research_institute", _("Research institute")
    SERVICE_AGENCY = "service_agency", _("IP service agency")
    PARK = "park", _("Industrial park")
    ASSOCIATION = "association", _("Industry association")
    ALLIANCE = "alliance", _("Industry alliance")


def validate_uscc(value: str) -> None:
    try:
        stdnum_uscc.validate(value)
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a valid unified social credit code (统一社会信用代码)."),
            code="invalid_uscc",
            params={"value": value},
        ) from None


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind.choices)
    district = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        limit_choices_to={"level": Level.DISTRICT},
        related_name="organizations",
    )
    is_sme = models.BooleanField(_("SME"), default=False)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The bank account awards are paid to, as last confirmed (see grants.organizations): given
    # at registration, or changed by one administrator and confirmed by another (or by a
    # district reviewer where the organisation has one administrator). A change waiting for
    # confirmation is a BankDetailsChange, never these fields.
    bank_account_name = models.CharField(_("account name (开户名称)"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank (开户银行)"), max_length=100, blank=True)
    bank_account_number = models.CharField(_("account number (账号)"), max_length=32, blank=True)
    cnaps_code = models.CharField(_("bank code (行号, CNAPS)"), max_length=12, blank=True)
    bank_confirmed_at = models.DateTimeField(_("bank details confirmed at"), null=True, blank=True)
    bank_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("bank details confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="organizations",
        verbose_name=_("members"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def has_confirmed_bank_details(self) -> bool:
        """Whether awards can be paid: an account name, bank and number, confirmed."""
        return bool(
            self.bank_confirmed_at
            and self.bank_account_name
            and self.bank_name
            and self.bank_account_number
        )


class Membership(models.Model):
    """A person acting for an organisation (one user may act for several).

    The first registrant is its administrator; administrators invite colleagues, decide
    join requests, set roles and propose bank details; staff file and follow applications.
    An organisation keeps at least one administrator (``grants.organizations``).
    """

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        STAFF = "staff", _("Staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} → {self.organization}"


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    REVIEWER = "reviewer", _("Reviewer")
    EXPERT = "expert", _("Expert")
    FINANCE = "finance", _("Finance officer")
    AUDITOR = "auditor", _("Finance auditor")
    ADMIN = "admin", _("Programme administrator")


class RoleAssignment(models.Model):
    """What a user may do: a reviewer holds a level and a jurisdiction; other roles are global."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "level", "jurisdiction"], name="role_unique"
            ),
            models.CheckConstraint(
                condition=~Q(role="reviewer") | (Q(jurisdiction__isnull=False) & ~Q(level="")),
                name="reviewer_has_level_and_jurisdiction",
            ),
        ]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        where = f" @ {self.jurisdiction.name}" if self.jurisdiction is not None else ""
        return f"{self.user}: {self.get_role_display()}{where}"

    def clean(self) -> None:
        if self.role == Role.REVIEWER:
            if self.jurisdiction is None or not self.level:
                raise ValidationError(_("A reviewer needs a level and a jurisdiction."))
            if self.jurisdiction.level != self.level:
                raise ValidationError(
                    {"jurisdiction": _("The jurisdiction must be of the reviewer's level.")}
                )


class ProgramKind(models.TextChoices):
    CERTIFICATION = "certification", _("Certification subsidy")
    VOUCHER = "voucher", _("Service voucher")
    NAVIGATION = "navigation", _("Patent navigation project")
    GENERAL = "general", _("General grant")


def validate_levels(value: Any) -> None:  # any JSON the form sent
    allowed = {choice.value for choice in Level}
    if not isinstance(value, list) or not value:
        raise ValidationError(_("The review chain is a non-empty list of levels."))
    for item in value:
        if item not in allowed:
            raise ValidationError(
                _("Unknown level “%(level)s”; use district, city or region."),
                params={"level": item},
            )
    if len(set(value)) != len(value):
        raise ValidationError(_("A level appears twice in the review chain."))


DEFAULT_DEADLINES = {"district": 10, "city": 10, "region": 15}


def default_deadlines() -> dict[str, int]:
    return dict(DEFAULT_DEADLINES)


def validate_deadlines(value: Any) -> None:  # any JSON the form sent
    if not isinstance(value, dict):
        raise ValidationError(
            _('Deadlines are an object such as {"district": 10, "city": 10, "region": 15}.')
        )
    allowed = {choice.value for choice in Level}
    for level, days in value.items():
        if level not in allowed:
            raise ValidationError(
                _("Unknown level “%(level)s”; use district, city or region."),
                params={"level": level},
            )
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 120:
            raise ValidationError(
                _(
                    "The deadline of %(level)s must be a whole number of working days from 1 to 120."
                ),
                params={"level": level},
            )


def validate_org_kinds(value: Any) -> None:  # any JSON the form sent
    allowed = {choice.value for choice in OrganizationKind}
    if not isinstance(value, list):
        raise ValidationError(_("A list of organisation kinds is expected."))
    bad = [item for item in value if item not in allowed]
    if bad:
        raise ValidationError(
            _("Unknown organisation kinds: %(kinds)s"), params={"kinds": ", ".join(map(str, bad))}
        )


# The steps any programme may switch on after its review chain (``Program.steps``), in order.
STEPS = ("expert_review", "public_notice", "milestones")
# The standard integrity pledge (诚信承诺) of a claim; a programme may configure its own.
# Document content in the applicant's language of record (Chinese), not a UI string.
DEFAULT_PLEDGE = (
    "本单位郑重承诺：所填报的申报信息和提交的材料真实、准确、完整、合法有效，"
    "不存在弄虚作假、重复申报或套取、骗取专项资金的行为；同一事项未获得其他财政资金支持；"
    "如有不实，愿意承担由此产生的一切法律责任，并接受退回已获资金、纳入信用记录等处理。"
)


class BudgetPolicy(models.TextChoices):
    """What the final approval does when the programme's budget cannot cover the award."""

    REFUSE = "refuse", _("Refuse the approval")
    QUEUE = "queue", _("Merit queue: wait for budget, best-ranked first")


class Program(models.Model):
    """A funding programme for one year: its chain, cap, window and the form it asks for."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ProgramKind.choices)
    year = models.PositiveIntegerField(_("year"))
    number_prefix = models.CharField(
        _("number prefix"),
        max_length=4,
        help_text=_("Two to four capital letters, e.g. CS → CS-2026-000123."),
    )
    levels = models.JSONField(
        _("review chain"),
        default=list,
        validators=[validate_levels],
        help_text=_('Ordered list of levels, e.g. ["district", "city", "region"].'),
    )
    cap = models.DecimalField(_("cap per award"), null=True, blank=True, **MONEY)
    opens = models.DateTimeField(_("opens"))
    closes = models.DateTimeField(_("closes"))
    level_deadline_days = models.JSONField(
        _("deadline per level (working days)"),
        default=default_deadlines,
        validators=[validate_deadlines],
        help_text=_(
            'Working days each level has to decide, e.g. {"district": 10, "city": 10, "region": 15}.'
        ),
    )
    allowed_org_kinds = models.JSONField(
        _("organisation kinds allowed"),
        default=list,
        blank=True,
        validators=[validate_org_kinds],
        help_text=_("Empty means every kind."),
    )
    description = models.TextField(_("description"), blank=True)
    budget_policy = models.CharField(
        _("when the budget is short"),
        max_length=10,
        choices=BudgetPolicy.choices,
        default=BudgetPolicy.REFUSE,
        help_text=_(
            "Refuse: the final approval is refused and the application stays at its level. "
            "Merit queue (择优): it waits, ranked by the programme's merit criteria (never by "
            "the award amount), until budget is added."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The parts of a programme that are configuration read by the layers above (the
    # programme definition, ``programs``, validates them): the steps switched on after the
    # chain approves, the merit ranking (择优) and the plan indicators it feeds.
    steps = models.JSONField(
        _("steps after the review chain"),
        default=dict,
        blank=True,
        help_text=_(
            'Steps switched on, with their settings: {"expert_review": {...}, '
            '"public_notice": {...}, "milestones": {...}}. Empty: the award follows the '
            "chain's last approval."
        ),
    )
    ranking = models.JSONField(
        _("merit ranking (择优)"),
        default=dict,
        blank=True,
        help_text=_(
            'How applications are ranked on merit, e.g. {"by": "expert_score"} or {"by": '
            '"formula", "expression": "fields.invention_patents * 2", "tie_breaks": '
            '["submitted_at"]}. Empty: by submission time. Never by the award amount.'
        ),
    )
    indicators = models.JSONField(
        _("indicators it feeds"),
        default=list,
        blank=True,
        help_text=_('The plan indicators its awards count toward, e.g. [{"number": 1}].'),
    )
    pledge = models.TextField(
        _("integrity pledge (诚信承诺)"),
        blank=True,
        help_text=_(
            "What the applicant confirms before submitting. Empty: the standard pledge "
            "(grants.models.DEFAULT_PLEDGE)."
        ),
    )

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="program_window_order"
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=0), name="program_cap_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    def clean(self) -> None:
        if self.number_prefix and not (
            self.number_prefix.isalpha() and self.number_prefix.isupper()
        ):
            raise ValidationError({"number_prefix": _("Use capital letters only.")})
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError({"closes": _("The window must close after it opens.")})

    @property
    def pledge_text(self) -> str:
        """The pledge the applicant confirms: the programme's own, else the standard one."""
        return self.pledge.strip() or DEFAULT_PLEDGE

    def deadline_days(self, level: str) -> int:
        return int((self.level_deadline_days or {}).get(level, DEFAULT_DEADLINES.get(level, 10)))

    def is_open(self, at: dt.datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.is_active and self.opens <= at <= self.closes

    def step_settings(self, name: str) -> dict[str, Any] | None:
        """The settings of a step switched on in ``steps`` (``STEPS``), or None when it is off."""
        value = (self.steps or {}).get(name) if isinstance(self.steps, dict) else None
        return value if isinstance(value, dict) else None

    @property
    def has_steps(self) -> bool:
        """Some step of ``STEPS`` is switched on: the chain's approval is not the award yet."""
        return any(self.step_settings(name) is not None for name in STEPS)


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    DECIMAL = "decimal", _("Decimal amount")
    INTEGER = "integer", _("Whole number")
    BOOLEAN = "boolean", _("Yes / no")


class ProgramField(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="fields")
    name = models.SlugField(
        _("name"), max_length=50, help_text=_("The key in the application's fields.")
    )
    type = models.CharField(
        _("type"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT
    )
    required = models.BooleanField(_("required"), default=True)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    help = models.CharField(_("help text"), max_length=300, blank=True)
    help_en = models.CharField(_("English help text"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="program_field_unique")
        ]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")

    def __str__(self) -> str:
        return self.name

    @property
    def display_label(self) -> str:
        return localized(self.label, self.label_en)

    @property
    def display_help(self) -> str:
        return localized(self.help, self.help_en)

    def clean(self) -> None:
        if self.type == FieldType.CHOICE and (
            not isinstance(self.choices, list) or not self.choices
        ):
            raise ValidationError(
                {"choices": _("A choice field needs a non-empty list of choices.")}
            )


class CostLineKind(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cost_line_kinds")
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    counts_toward_award = models.BooleanField(_("counts toward the award"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="cost_line_kind_unique")
        ]
        verbose_name = _("cost line kind")
        verbose_name_plural = _("cost line kinds")

    def __str__(self) -> str:
        return self.code

    @property
    def display_label(self) -> str:
        return localized(self.label, self.label_en)


class AttachmentKind(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="attachment_kinds")
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="attachment_kind_unique")
        ]
        verbose_name = _("attachment kind")
        verbose_name_plural = _("attachment kinds")

    def __str__(self) -> str:
        return self.code

    @property
    def display_label(self) -> str:
        return localized(self.label, self.label_en)


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    RETURNED = "returned", _("Returned for changes")
    REJECTED = "rejected", _("Rejected")
    APPROVED = "approved", _("Approved")
    AWARDED = "awarded", _("Awarded")
    PAID = "paid", _("Paid")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")


EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)
# Before a final decision: the applicant may still withdraw (grants.transitions.MOVES).
WITHDRAWABLE_STATUSES = (Status.DRAFT, Status.IN_REVIEW, Status.RETURNED)


class Application(models.Model):
    number = models.CharField(_("number"), max_length=30, unique=True)
    program = models.ForeignKey(
        Program, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="applications"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    level = models.CharField(_("current level"), max_length=10, choices=Level.choices, blank=True)
    chain = models.JSONField(
        _("review chain at submission"),
        default=list,
        blank=True,
        help_text=_(
            "Copied from the programme at each submission; later chain edits do not affect it."
        ),
    )
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    award_amount = models.DecimalField(_("award amount"), null=True, blank=True, **MONEY)
    round = models.PositiveIntegerField(_("submission round"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in Status]),
                name="application_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(award_amount__isnull=True) | Q(award_amount__gte=0),
                name="application_award_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["program", "status"])]

    def __str__(self) -> str:
        return self.number

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


def normalise_certificate(value: Any) -> str:
    """A certificate number as compared for the one-certificate-one-award check: Unicode NFKC
    (full-width letters and digits as half-width), spaces removed, capital letters. The
    application keeps the number as typed."""
    return "".join(unicodedata.normalize("NFKC", str(value or "")).split()).upper()


class CertificateClaim(models.Model):
    """A certificate claimed by a live application: one certificate number, one award, ever.

    Rules judge a snapshot; this unique constraint holds under concurrent
    submissions. A rejection releases the claim (``active=False``).
    """

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="claimed_certificate"
    )
    program_kind = models.CharField(_("programme kind"), max_length=20)
    certificate = models.CharField(_("certificate number"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)

    class Meta:
        verbose_name = _("certificate claim")
        verbose_name_plural = _("certificate claims")
        constraints = [
            models.UniqueConstraint(
                fields=["program_kind", "certificate"],
                condition=Q(active=True),
                name="certificate_claimed_once",
            )
        ]

    def __str__(self) -> str:
        return self.certificate


class CostLine(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="cost_lines"
    )
    kind = models.CharField(_("kind"), max_length=50)
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=Decimal("0")), name="cost_line_amount_not_negative"
            )
        ]
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Stored under a name the uploader does not choose; only the checked extension is kept."""
    suffix = PurePath(filename).suffix.lower()
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=50)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.kind}: {self.original_name}"


class Pledge(models.Model):
    """The integrity pledge (诚信承诺) an applicant confirmed when submitting: the exact text,
    who confirmed it and when, per submission round."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="pledges")
    round = models.PositiveIntegerField(_("submission round"))
    text = models.TextField(_("pledge text"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    at = models.DateTimeField(_("confirmed at"), default=timezone.now)

    class Meta:
        ordering = ["round", "id"]
        verbose_name = _("integrity pledge")
        verbose_name_plural = _("integrity pledges")

    def __str__(self) -> str:
        return f"{self.application} #{self.round}"


class Sequence(models.Model):
    """Gap-free counters (application numbers, later letter numbers), taken under a row lock."""

    key = models.CharField(max_length=100, unique=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.key}={self.last}"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The longest life; a token unused for FUNDFLOW_TOKEN_IDLE_HOURS ends earlier (sliding).
    expires_at = models.DateTimeField()
    # Written at most once a minute (grants.services.token_user).
    last_used_at = models.DateTimeField(null=True, blank=True)
    # A keyed digest of the password hash at issue: a password change ends every token.
    password_mark = models.CharField(max_length=64, blank=True, default="", editable=False)
    # Issued after a second factor (TOTP or a recovery code).
    second_factor = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} token {self.key_hash[:8]}…"


from grants.audit import AuditCheckpoint, AuditEntry, AuditHead  # noqa: E402, F401  (this app's models, kept with their logic)
from grants.calendar import CalendarDay  # noqa: E402, F401
from grants.notifications import Notification  # noqa: E402, F401
from grants.orgmodels import AuthorityLetter as AuthorityLetter  # noqa: E402
from grants.orgmodels import BankDetailsChange as BankDetailsChange  # noqa: E402
from grants.orgmodels import Invitation as Invitation  # noqa: E402
from grants.orgmodels import JoinRequest as JoinRequest  # noqa: E402
from grants.orgmodels import OrganizationDispute as OrganizationDispute  # noqa: E402
from grants.orgmodels import UsccRegionOverride as UsccRegionOverride  # noqa: E402
from grants.outbox import OutboxMessage  # noqa: E402, F401
