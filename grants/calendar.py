"""Working days in China: official holidays and adjusted working weekends (调休) from `chinesecalendar`.

The library carries the State Council's schedule year by year; for a year it
does not know yet, Monday to Friday count as working days (and a warning is
logged), so a deadline is never lost, only possibly a day early.
"""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
from django.utils import timezone

log = logging.getLogger(__name__)


def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("no official holiday schedule for %s; counting Monday–Friday", day.year)
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date that is ``days`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def deadline_after(moment: dt.datetime, days: int) -> dt.datetime:
    """End of the ``days``-th working day after ``moment``, in the local time zone."""
    local = timezone.localtime(moment)
    last_day = add_working_days(local.date(), days)
    end = dt.datetime.combine(last_day, dt.time(23, 59, 59))
    return timezone.make_aware(end, timezone.get_current_timezone())
