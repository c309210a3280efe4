"""The plan's indicator table (appendix of the 2020 implementation plan), as data.

Each ``Indicator`` carries the appendix's words as they are (name, 要求, 目标值 and each
year's target text), each year's target figure with its scope (``in_year``: that year's
own figure; ``cumulative``: the running total since the plan began), and a ``source``: how
its figures are obtained (``indicators.sources``). Figures this product cannot compute an
administrator enters per year as an ``IndicatorActual`` with its source.

Definitions are seeded from ``indicators/data/indicators.json`` (migration 0003,
``seed_demo``); an administrator edits them in the admin, each change a new ``version``
with an audit entry holding the definition before and after.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import localized

IN_YEAR = "in_year"
CUMULATIVE = "cumulative"
SCOPES = (IN_YEAR, CUMULATIVE)


class Indicator(models.Model):
    class Kind(models.TextChoices):
        COUNT = "count", _("Count")
        GROWTH = "growth", _("Average annual growth (年均增幅)")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    number = models.PositiveSmallIntegerField(_("number in the plan"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_en = models.CharField(_("English unit"), max_length=20, blank=True)
    requirement = models.CharField(
        _("requirement (要求)"), max_length=100, blank=True, help_text=_("As the appendix says it.")
    )
    target_text = models.CharField(
        _("target (目标值)"), max_length=100, blank=True, help_text=_("As the appendix says it.")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COUNT)
    targets = models.JSONField(
        _("targets per year"),
        default=dict,
        help_text=_(
            'Per year: the appendix\'s text, the figure and its scope, e.g. {"2023": {"text": '
            '"1000家", "value": "1000", "scope": "cumulative"}}; scope "in_year" is that year\'s '
            'own figure, "cumulative" the running total since the plan began; value null where '
            "the plan sets none."
        ),
    )
    source = models.JSONField(
        _("source of the figures"),
        default=dict,
        help_text=_(
            'How the figures are obtained: {"type": "applications", "programs": {"codes": [...], '
            '"kinds": [...], "feeds": 1}, "statuses": [...], "measures": [{"key", "label", '
            '"unit", "aggregate": "count" | "count_distinct" | "sum", "field"}]}, or {"type": '
            '"records", "records": "<name>"}, or {"type": "entered", "note": "..."}; a growth '
            'row adds {"growth": {"base_year": 2020}}.'
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def display_unit(self) -> str:
        return localized(self.unit, self.unit_en)

    def target(self, year: int) -> dict:
        """The year's target: ``{"text", "value": Decimal | None, "scope"}`` (empty when none)."""
        raw = (self.targets or {}).get(str(year))
        if not isinstance(raw, dict):
            return {}
        try:
            value = None if raw.get("value") in (None, "") else Decimal(str(raw["value"]))
        except InvalidOperation:
            value = None
        scope = raw.get("scope") if raw.get("scope") in SCOPES else IN_YEAR
        return {"text": str(raw.get("text") or ""), "value": value, "scope": scope}

    def target_for(self, year: int) -> Decimal | None:
        return self.target(year).get("value")

    @property
    def target_years(self) -> list[int]:
        return sorted(int(y) for y in (self.targets or {}) if str(y).isdigit())


class IndicatorActual(models.Model):
    """A yearly figure entered by the administrator (one measure of an indicator, that year's own)."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="actuals", verbose_name=_("indicator")
    )
    year = models.PositiveIntegerField(_("year"))
    measure = models.CharField(
        _("measure"),
        max_length=30,
        blank=True,
        default="",
        help_text=_("Which of the indicator's measures; empty for its first."),
    )
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)
    source_note = models.CharField(
        _("source"), max_length=300, help_text=_("Where the figure comes from (report, office).")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        ordering = ["indicator__number", "-year"]
        verbose_name = _("indicator figure entered")
        verbose_name_plural = _("indicator figures entered")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "measure"], name="indicator_actual_once_per_measure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator.number} {self.year}: {self.value}"


class IndicatorVersion(models.Model):
    """Each saved version of an indicator's definition, as it was (the audit holds the change)."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="versions", verbose_name=_("indicator")
    )
    version = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["indicator__number", "-version"]
        verbose_name = _("indicator version")
        verbose_name_plural = _("indicator versions")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "version"], name="indicator_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.number} v{self.version}"
