"""Working days in China: official holidays and adjusted working weekends (调休) from
`chinesecalendar`, corrected by the administrator-kept table of ``CalendarDay`` rows.

The library carries the State Council's schedule year by year; for a year it
does not know yet, Monday to Friday count as working days (and a warning is
logged), so a deadline is never lost, only possibly a day early.

The State Council's schedule is not the whole calendar here: the autonomous region
sets 肉孜节 and 古尔邦节 holidays each year (and sometimes working days to make up for
them), which no library carries and nothing can fetch. An administrator records them
(admin → 节假日调整), each with the notice it comes from; every working-day deadline
reads them (one query per deadline, so a row saved by one process counts in every
other at once).
"""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


class CalendarDay(models.Model):
    """One day whose status the region sets differently from the State Council's schedule."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("holiday (no work)")
        WORKDAY = "workday", _("working day (made up)")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(
        _("name"), max_length=100, help_text=_("For example 古尔邦节 or 肉孜节.")
    )
    basis = models.CharField(
        _("basis"),
        max_length=200,
        blank=True,
        help_text=_(
            "The notice that sets it, for example the region's holiday notice of the year."
        ),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        app_label = "grants"
        ordering = ["day"]
        verbose_name = _("holiday adjustment")
        verbose_name_plural = _("holiday adjustments")

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}（{self.get_kind_display()}）"


def _official_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("no official holiday schedule for %s; counting Monday–Friday", day.year)
        return day.weekday() < 5


def _adjustments(first: dt.date, last: dt.date) -> dict[dt.date, bool]:
    """The table's days between ``first`` and ``last``: day → is a working day."""
    rows = CalendarDay.objects.filter(day__range=(first, last)).values_list("day", "kind")
    return {day: kind == CalendarDay.Kind.WORKDAY for day, kind in rows}


def is_workday(day: dt.date) -> bool:
    adjusted = _adjustments(day, day)
    return adjusted[day] if day in adjusted else _official_workday(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date that is ``days`` working days after ``start`` (``start`` itself not counted)."""
    # the region's days read a span at a time (a week per five working days, plus the
    # longest holidays): one query for any deadline the programmes set
    span = dt.timedelta(days=days * 3 + 40)
    read_to = start + span
    adjusted = _adjustments(start, read_to)
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if day > read_to:
            adjusted |= _adjustments(day, day + span)
            read_to = day + span
        if adjusted[day] if day in adjusted else _official_workday(day):
            remaining -= 1
    return day


def deadline_after(moment: dt.datetime, days: int) -> dt.datetime:
    """End of the ``days``-th working day after ``moment``, in the local time zone."""
    local = timezone.localtime(moment)
    last_day = add_working_days(local.date(), days)
    end = dt.datetime.combine(last_day, dt.time(23, 59, 59))
    return timezone.make_aware(end, timezone.get_current_timezone())
