"""City selection, public notice, objections and the region's sign-off; overdue milestones."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client

from grants.notifications import Notification
from milestones.models import Milestone
from milestones.services import milestones_overdue
from tests.support.clients import login


def test_selecting_against_the_ranking_needs_a_comment_and_the_rest_is_not_selected(scored):
    city = login("reviewer-city")
    r = city.post(
        "/navigation/programs/navigation/selection",
        {"selected": [{"application": scored[1]["id"]}]},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "comment"
    r = city.post(
        "/navigation/programs/navigation/selection",
        {"selected": [{"application": scored[1]["id"]}], "comment": "第一名与在建项目重复"},
    )
    assert r.status_code == 201, r.content
    first = login("applicant").get(f"/navigation/projects/{scored[0]['id']}").json()
    assert (first["status"], first["stage"]) == ("rejected", "not_selected")


def test_an_upheld_objection_withdraws_the_project_and_sign_off_waits_for_the_notice(scored):
    city, region = login("reviewer-city"), login("reviewer-region")
    r = city.post(
        "/navigation/programs/navigation/selection",
        {"selected": [{"application": p["id"]} for p in scored]},
    )
    notice = r.json()
    assert region.post(f"/navigation/notices/{notice['id']}/sign-off").status_code == 409
    public = Client()
    r = public.post(
        f"/navigation/notices/{notice['id']}/",
        {
            "name": "李四",
            "contact": "li@example.com",
            "text": "申报材料与实际不符",
            "project": str(scored[1]["id"]),
        },
    )
    assert r.status_code == 302
    objection = city.get(f"/navigation/notices/{notice['id']}/objections").json()[0]
    assert applicant_cannot_resolve(objection["id"])
    r = city.post(
        f"/navigation/objections/{objection['id']}/resolution",
        {"outcome": "upheld", "resolution": "经核查情况属实，撤销入选"},
    )
    assert r.status_code == 200, r.content
    withdrawn = login("applicant").get(f"/navigation/projects/{scored[1]['id']}").json()
    assert (withdrawn["status"], withdrawn["stage"]) == ("rejected", "withdrawn")
    ends_at = dt.datetime.fromisoformat(notice["ends_at"])
    with time_machine.travel(ends_at + dt.timedelta(minutes=1), tick=False):
        r = public.post(
            f"/api/v1/navigation/notices/{notice['id']}/objections",
            {"name": "王五", "contact": "1", "text": "迟到的异议"},
            content_type="application/json",
        )
        assert r.status_code == 409
        r = region.post(f"/navigation/notices/{notice['id']}/sign-off")
        assert r.status_code == 200, r.content
        awarded = login("applicant").get(f"/navigation/projects/{scored[0]['id']}").json()
        assert (awarded["status"], awarded["stage"]) == ("approved", "awarded")
        assert awarded["contract"]["number"].endswith("-HT")


def applicant_cannot_resolve(objection_id: int) -> bool:
    r = login("applicant").post(
        f"/navigation/objections/{objection_id}/resolution",
        {"outcome": "dismissed", "resolution": "x"},
    )
    return r.status_code == 403


def test_an_overdue_milestone_escalates_once(scored):
    city, region = login("reviewer-city"), login("reviewer-region")
    notice = city.post(
        "/navigation/programs/navigation/selection",
        {"selected": [{"application": scored[0]["id"]}]},
    ).json()
    ends_at = dt.datetime.fromisoformat(notice["ends_at"])
    with time_machine.travel(ends_at + dt.timedelta(minutes=1), tick=False):
        assert region.post(f"/navigation/notices/{notice['id']}/sign-off").status_code == 200
    first = Milestone.objects.get(contract__project_id=scored[0]["id"], position=1)
    assert milestones_overdue(today=first.due_on) == 0
    assert milestones_overdue(today=first.due_on + dt.timedelta(days=1)) == 1
    assert milestones_overdue(today=first.due_on + dt.timedelta(days=2)) == 0
    kinds = Notification.objects.filter(kind="milestone_overdue")
    assert {n.user.username for n in kinds} >= {"applicant", "reviewer-city", "admin"}
