"""A level that misses its deadline (working days, Chinese public holidays) is flagged and escalated."""

import datetime as dt

import time_machine
from django.core.management import call_command
from django.utils import timezone

from grants.audit import AuditEntry
from grants.calendar import add_working_days, deadline_after
from grants.models import Notification, Program
from workflows.review import review_deadlines_sweep


def test_working_days_skip_weekends_and_public_holidays(db):
    # National Day 2026: 1–7 October off; Friday 30 Sept + 3 working days lands after the holiday
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    # an ordinary week: Monday + 5 working days is the next Monday
    assert add_working_days(dt.date(2026, 11, 23), 5) == dt.date(2026, 11, 30)
    # a year the holiday library does not know yet falls back to Monday–Friday
    assert add_working_days(dt.date(2031, 3, 7), 1) == dt.date(2031, 3, 10)


def test_deadline_is_the_end_of_the_last_working_day_local_time(db):
    start = dt.datetime(2026, 11, 23, 10, 0, tzinfo=timezone.get_current_timezone())
    deadline = deadline_after(start, 2)
    assert timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M") == "2026-11-25 23:59"


def test_overdue_task_is_flagged_and_the_city_is_notified(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    tianshan = as_user("reviewer-tianshan")
    task = tianshan.get("/tasks").json()["results"][0]
    deadline = dt.datetime.fromisoformat(task["deadline"])
    with time_machine.travel(deadline - dt.timedelta(hours=1), tick=False):
        assert review_deadlines_sweep() == 0
    assert not Notification.objects.filter(kind="overdue").exists()
    with time_machine.travel(deadline + dt.timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert review_deadlines_sweep() == 1
        assert review_deadlines_sweep() == 0  # fires once
        listed = tianshan.get("/tasks").json()["results"][0]
    assert listed["overdue"] is True
    assert (
        AuditEntry.objects.filter(
            action="review.overdue", application_id=submitted_app["id"]
        ).count()
        == 1
    )
    notified = set(
        Notification.objects.filter(kind="overdue").values_list("user__username", flat=True)
    )
    assert notified == {"reviewer-city"}
    # the task stays open at its level: escalation does not decide for anyone
    assert (
        as_user("applicant").get(f"/applications/{submitted_app['id']}").json()["level"]
        == "district"
    )


def test_deadline_comes_from_the_programme_configuration(as_user, applicant):
    from tests.support.claims import register_org
    from tests.workflows.test_review_chain import submit_new

    Program.objects.filter(code="cert-subsidy").update(
        level_deadline_days={"district": 3, "city": 10, "region": 15}
    )
    app = submit_new(applicant, register_org(applicant), "DL-1")
    task = as_user("reviewer-tianshan").get("/tasks").json()["results"][0]
    assert task["application"] == app["id"]
    created = timezone.localtime(dt.datetime.fromisoformat(task["created"])).date()
    assert dt.datetime.fromisoformat(task["deadline"]).date() == add_working_days(created, 3)


def test_review_deadlines_command_flags_late_tasks(as_user, submitted_app):
    task = as_user("reviewer-tianshan").get("/tasks").json()["results"][0]
    with time_machine.travel(
        dt.datetime.fromisoformat(task["deadline"]) + dt.timedelta(days=1), tick=False
    ):
        call_command("review_deadlines")
    assert AuditEntry.objects.filter(action="review.overdue").count() == 1
