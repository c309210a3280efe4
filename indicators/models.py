"""The plan's indicator table (appendix of the 2020 implementation plan) and the figures entered by hand.

Targets are data, not code: ``targets`` maps a year to a figure (a decimal string;
``null`` where the plan sets none, shown "–"). Figures the product computes come
from ``indicators.registry``; the rest an administrator enters per year as an
``IndicatorActual`` with its source.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import localized


class Indicator(models.Model):
    class Kind(models.TextChoices):
        COUNT = "count", _("Count")
        GROWTH = "growth", _("Growth rate (%), at least")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    number = models.PositiveSmallIntegerField(_("number in the plan"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_en = models.CharField(_("English unit"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COUNT)
    cumulative = models.BooleanField(
        _("cumulative"),
        default=False,
        help_text=_("The target is a running total since the plan began (“by 2023”)."),
    )
    targets = models.JSONField(
        _("targets per year"),
        default=dict,
        help_text=_('e.g. {"2021": "30", "2022": "70", "2023": "200"}; null where none is set.'),
    )

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

    def target_for(self, year: int) -> Decimal | None:
        value = (self.targets or {}).get(str(year))
        return None if value in (None, "") else Decimal(str(value))


class IndicatorActual(models.Model):
    """A yearly figure entered by the administrator for an indicator this product cannot compute."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="actuals", verbose_name=_("indicator")
    )
    year = models.PositiveIntegerField(_("year"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
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
            models.UniqueConstraint(fields=["indicator", "year"], name="indicator_actual_once")
        ]

    def __str__(self) -> str:
        return f"{self.indicator.number} {self.year}: {self.value}"
