"""Issue 8, "Done when": three joint navigation applications through eligibility, a random
conflict-free expert draw, scoring, ranking, a public notice with one objection resolved,
region sign-off, and a project paid in three tranches on three accepted milestones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.test import Client
from django.utils import timezone

from experts.draw import draw_experts
from experts.models import Expert, ExpertDraw
from experts.services import conflict_declare
from finance.models import LedgerEntry, Tranche
from navigation.indicators import industry_navigation_projects
from navigation.models import NavigationConfig
from tests.support.claims import register_org
from tests.support.clients import login
from tests.support.navigation import (
    LEAD_KINDS,
    SCORES,
    confirm_partners,
    create_project,
    pay_tranche,
    register_agency,
    score_all,
    through_eligibility,
)


def test_three_navigation_projects_from_application_to_last_tranche(applicant, demo):
    admin, finance, city, region = (
        login(u) for u in ("admin", "finance", "reviewer-city", "reviewer-region")
    )
    leads = [
        register_org(applicant, serial=801 + i, name=f"乌鲁木齐{kind}{i}", kind=kind)
        for i, kind in enumerate(LEAD_KINDS)
    ]
    agencies = [register_agency(applicant, 901 + i, f"知识产权服务机构{i}") for i in range(3)]

    # conflicts: expert-8 works at project 0's partner agency; expert-7 declared one with lead 1
    from grants.models import Organization, User

    Expert.objects.filter(user__username="expert-8").update(employer_id=agencies[0])
    conflict_declare(
        actor=User.objects.get(username="expert-7"),
        expert=Expert.objects.get(user__username="expert-7"),
        organization=Organization.objects.get(pk=leads[1]),
        reason="曾任该协会顾问",
    )

    projects = [create_project(applicant, lead=leads[i], partners=[agencies[i]]) for i in range(3)]
    # a joint application is submitted only once every partner confirmed
    r = applicant.post(f"/applications/{projects[0]['id']}/submit")
    assert r.status_code == 409, r.content
    assert "知识产权服务机构0" in r.json()["detail"]
    for p in projects:
        confirm_partners(applicant, p)
        r = applicant.post(f"/applications/{p['id']}/submit")
        assert r.status_code == 200, r.content
        assert (r.json()["status"], r.json()["level"]) == ("in_review", "district")
        assert r.json()["award_amount"] == "400000.00"

    # eligibility: district then city (the ReviewFlow chain); no budget commitment yet
    for p in projects:
        through_eligibility(p["id"])
        body = admin.get(f"/navigation/projects/{p['id']}").json()
        assert (body["status"], body["stage"]) == ("in_review", "expert_review")
    assert not LedgerEntry.objects.filter(kind="commit").exists()

    # random conflict-free draw, reproducible from its recorded seed
    for i, p in enumerate(projects):
        r = admin.post(f"/navigation/projects/{p['id']}/draws", {"seed": f"PN-draw-{i}"})
        assert r.status_code == 201, r.content
        draw = r.json()
        assert len(draw["drawn"]) == 5 and draw["seed"] == f"PN-draw-{i}"
        stored = ExpertDraw.objects.get(pk=draw["id"])
        again = draw_experts(stored.candidates, stored.conflicts, stored.wanted, stored.seed)
        assert again.drawn == draw["drawn"]
    expert8 = Expert.objects.get(user__username="expert-8").pk
    expert7 = Expert.objects.get(user__username="expert-7").pk
    draw0 = ExpertDraw.objects.get(project_id=projects[0]["id"])
    draw1 = ExpertDraw.objects.get(project_id=projects[1]["id"])
    assert expert8 not in draw0.drawn and draw0.conflicts[str(expert8)] == "partner_agency"
    assert expert7 not in draw1.drawn and draw1.conflicts[str(expert7)].startswith("declared")

    # experts declare before they see the application, then score the weighted criteria
    criteria = [
        c["code"] for c in NavigationConfig.objects.get(program__code="navigation").criteria
    ]
    from experts.models import ExpertReview

    first = ExpertReview.objects.filter(project_id=projects[0]["id"]).first()
    expert = login(first.expert.user.username)
    assert expert.get(f"/applications/{projects[0]['id']}").status_code == 404
    assert expert.get(f"/navigation/reviews/{first.pk}").json()["application"] is None
    r = expert.post(
        f"/navigation/reviews/{first.pk}/scores",
        {"scores": {c: "80" for c in criteria}, "comment": "x"},
    )
    assert r.status_code == 409
    for i, p in enumerate(projects):
        score_all(p["id"], SCORES[i], criteria)
    assert expert.get(f"/applications/{projects[0]['id']}").status_code == 200

    # ranking next to the budget and the target count; N = 5 drops highest and lowest
    r = city.get("/navigation/programs/navigation/ranking")
    assert r.status_code == 200, r.content
    ranking = r.json()
    assert ranking["target_count"] == 5 and ranking["budget"]["available"] == "2500000.00"
    rows = ranking["results"]
    assert [row["application"] for row in rows] == [p["id"] for p in projects]
    assert [row["score"] for row in rows] == ["88.00", "82.00", "72.00"]
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert applicant.get("/navigation/programs/navigation/ranking").status_code == 403

    # the city's decision: all three, the third at a reduced amount, go to public notice
    r = city.post(
        "/navigation/programs/navigation/selection",
        {
            "selected": [
                {"application": projects[0]["id"]},
                {"application": projects[1]["id"]},
                {"application": projects[2]["id"], "award_amount": "300000.00"},
            ],
            "comment": "按评审排名择优支持",
        },
    )
    assert r.status_code == 201, r.content
    notice = r.json()
    assert notice["working_days"] == 5 and notice["open_for_objections"]

    # the public page: no login; one objection, resolved by the city
    public = Client()
    assert public.get(f"/api/v1/navigation/notices/{notice['id']}").status_code == 200
    page = public.get(f"/navigation/notices/{notice['id']}/")
    assert page.status_code == 200 and projects[0]["number"] in page.content.decode()
    r = public.post(
        f"/api/v1/navigation/notices/{notice['id']}/objections",
        {
            "name": "张三",
            "contact": "13800000000",
            "text": "该项目合作机构资质存疑。",
            "project": projects[0]["id"],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    objection = r.json()["id"]

    ends_at = dt.datetime.fromisoformat(notice["ends_at"])
    with time_machine.travel(ends_at + dt.timedelta(hours=1), tick=True):
        r = region.post(f"/navigation/notices/{notice['id']}/sign-off")
        assert r.status_code == 409, r.content  # one objection is still open
        r = city.post(
            f"/navigation/objections/{objection}/resolution",
            {"outcome": "dismissed", "resolution": "经核实，合作机构已入驻集聚区，资质符合要求。"},
        )
        assert r.status_code == 200, r.content
        assert city.post(f"/navigation/notices/{notice['id']}/sign-off").status_code == 403
        r = region.post(f"/navigation/notices/{notice['id']}/sign-off")
        assert r.status_code == 200, r.content
        assert r.json()["status"] == "signed_off"

        project = applicant.get(f"/navigation/projects/{projects[0]['id']}").json()
        assert (project["status"], project["stage"]) == ("approved", "awarded")
        assert project["award_amount"] == "400000.00"
        milestones = project["contract"]["milestones"]
        assert [m["amount"] for m in milestones] == ["160000.00", "120000.00", "120000.00"]
        third = applicant.get(f"/navigation/projects/{projects[2]['id']}").json()
        assert sum(Decimal(m["amount"]) for m in third["contract"]["milestones"]) == Decimal(
            "300000.00"
        )

        # a tranche cannot be paid before its milestone is accepted
        r = finance.post("/disbursements", {"tranches": [milestones[0]["tranche"]]})
        assert r.status_code == 409, r.content
        assert r.json()["errors"][0]["field"] == "tranches[0]"
        r = finance.post("/disbursements", {"awards": [projects[0]["id"]]})
        assert r.status_code == 409  # paid in tranches, never as a whole

        app_id = projects[0]["id"]
        assert industry_navigation_projects(timezone.localdate().year) == 0
        for i, milestone in enumerate(milestones):
            r = applicant.post(
                f"/navigation/milestones/{milestone['id']}/submit", {"report": f"第{i + 1}阶段报告"}
            )
            assert r.status_code == 200, r.content
            r = city.post(
                f"/navigation/milestones/{milestone['id']}/decisions", {"decision": "approve"}
            )
            assert r.status_code == 200, r.content
            assert r.json()["status"] == "accepted" and r.json()["tranche_status"] == "committed"
            pay_tranche(finance, milestone["tranche"], f"BANK-NAV-{i}")

        project = applicant.get(f"/navigation/projects/{app_id}").json()
        assert (project["status"], project["stage"]) == ("paid", "accepted")
        paid = LedgerEntry.objects.filter(application_id=app_id, kind="pay")
        assert paid.count() == 3
        assert sum(e.amount for e in paid) == Decimal("400000.00")
        assert set(
            Tranche.objects.filter(application_id=app_id).values_list("status", flat=True)
        ) == {"paid"}

        year = timezone.localdate().year
        assert industry_navigation_projects(year) == 1
        r = admin.get("/navigation/indicators/industry-navigation-projects", year=year)
        assert r.json()["value"] == 1
        r = finance.get("/reconciliation")
        assert r.json()["ok"], r.json()


def test_a_partner_must_be_an_agency_admitted_to_the_cluster(applicant, demo):
    from tests.support.claims import register_org
    from tests.support.navigation import register_agency

    lead = register_org(applicant, serial=901, name="乌鲁木齐高新区管委会产业园", kind="park")
    outsider = register_agency(applicant, serial=902, name="未入驻代理有限公司", admit=False)
    response = applicant.post(
        "/navigation/projects",
        {
            "organization": lead,
            "partners": [outsider],
            "industry": "新材料",
            "budget_plan": [{"year": 2026, "amount": "100000.00"}],
            "deliverables": ["专利导航分析报告"],
            "fields": {"duration_months": 12},
            "cost_lines": [
                {"kind": "navigation_service", "amount": "100000.00", "reference": "合同"}
            ],
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "partners[0]"
