"""The region's own holidays (古尔邦节, 肉孜节) and made-up working days, kept by an
administrator, move every working-day deadline (issue 22)."""

import datetime as dt

import time_machine
from django.utils import timezone

from grants.audit import AuditEntry
from grants.calendar import CalendarDay, add_working_days, deadline_after
from grants.models import Program
from tests.support.clients import web

TUESDAY = dt.date(2026, 5, 26)


def _kurban(kind: str = CalendarDay.Kind.HOLIDAY, *days: dt.date) -> None:
    for day in days:
        CalendarDay.objects.create(
            day=day, kind=kind, name="古尔邦节", basis="自治区人民政府办公厅 2026 年放假通知"
        )


def test_a_deadline_across_a_configured_kurban_holiday_lands_on_the_next_working_day(db):
    # without the region's holiday, Tuesday + 2 working days is Thursday
    assert add_working_days(TUESDAY, 2) == dt.date(2026, 5, 28)
    _kurban(CalendarDay.Kind.HOLIDAY, dt.date(2026, 5, 27), dt.date(2026, 5, 28))
    # Wednesday and Thursday off: Friday is the first working day, Monday the second
    assert add_working_days(TUESDAY, 2) == dt.date(2026, 6, 1)
    # a Saturday the region makes a working day counts
    _kurban(CalendarDay.Kind.WORKDAY, dt.date(2026, 5, 30))
    assert add_working_days(TUESDAY, 2) == dt.date(2026, 5, 30)
    start = dt.datetime(2026, 5, 26, 10, 0, tzinfo=timezone.get_current_timezone())
    assert timezone.localtime(deadline_after(start, 2)).strftime("%Y-%m-%d %H:%M") == (
        "2026-05-30 23:59"
    )


def test_a_long_holiday_beyond_the_first_span_read_still_counts(db):
    # 60 consecutive days off from the day after: the answer lies beyond the first span read
    first = TUESDAY + dt.timedelta(days=1)
    _kurban(CalendarDay.Kind.HOLIDAY, *(first + dt.timedelta(days=i) for i in range(60)))
    day = add_working_days(TUESDAY, 1)
    assert day > first + dt.timedelta(days=59)
    assert not CalendarDay.objects.filter(day=day).exists()


def test_a_review_task_opened_before_the_holiday_gets_its_deadline_after_it(as_user, applicant):
    from tests.support.claims import register_org
    from tests.workflows.test_review_chain import submit_new

    _kurban(CalendarDay.Kind.HOLIDAY, dt.date(2026, 5, 27), dt.date(2026, 5, 28))
    opened = dt.datetime(2026, 5, 26, 10, 0, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(opened, tick=False):
        app = submit_new(applicant, register_org(applicant), "KB-1")
    task = as_user("reviewer-tianshan").get("/tasks").json()["results"][0]
    assert task["application"] == app["id"]
    days = Program.objects.get(code="cert-subsidy").deadline_days("district")
    due = dt.datetime.fromisoformat(task["deadline"]).date()
    assert due == add_working_days(TUESDAY, days)
    CalendarDay.objects.all().delete()
    assert due > add_working_days(TUESDAY, days)  # the two days off moved it


def test_an_administrator_records_a_holiday_in_words_and_the_change_is_audited(demo):
    admin = web("admin")
    response = admin.post(
        "/admin/grants/calendarday/add/",
        {
            "day": "2026-05-27",
            "kind": "holiday",
            "name": "古尔邦节",
            "basis": "新政办发〔2026〕1号",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = CalendarDay.objects.get(day=dt.date(2026, 5, 27))
    assert row.updated_by is not None and row.updated_by.username == "admin"
    entry = AuditEntry.objects.get(action="calendar.added")
    assert entry.data["name"] == "古尔邦节" and entry.actor.username == "admin"
    listing = admin.get("/admin/grants/calendarday/").content.decode()
    assert "古尔邦节" in listing and "新政办发〔2026〕1号" in listing and "系统管理员" in listing
    # the same day twice is refused in words, nothing written
    again = admin.post(
        "/admin/grants/calendarday/add/",
        {"day": "2026-05-27", "kind": "holiday", "name": "古尔邦节", "basis": ""},
    )
    assert again.status_code == 200 and CalendarDay.objects.count() == 1
