"""Helpers for navigation tests: joint applications through eligibility, experts scoring,
selection and sign-off, milestones and tranches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import time_machine

from tests.support.claims import decide, register_org
from tests.support.clients import Api, login
from tests.support.documents import PDF

LEAD_KINDS = ("park", "association", "alliance")
SCORES = {  # per project: each expert's score for every criterion (N = 5)
    0: ["90", "88", "86", "95", "70"],
    1: ["80", "82", "78", "84", "99"],
    2: ["70", "72", "74", "60", "76"],
}


def register_agency(
    api: Api, serial: int, name: str = "新疆天山知识产权代理有限公司", admit: bool = True
) -> int:
    """A service agency registered by ``api``'s user and, by default, admitted to the cluster."""
    from agencies.services.registry import agency_admit
    from grants.models import User

    org_id = register_org(api, serial=serial, name=name, kind="service_agency")
    if admit:
        agency_admit(
            actor=User.objects.get(username="admin"),
            organization_id=org_id,
            services=["navigation"],
        )
    return org_id


def create_project(
    api: Api,
    *,
    lead: int,
    partners: list[int],
    industry: str = "新材料",
    navigation_service: str = "300000.00",
    data_purchase: str = "100000.00",
) -> dict:
    response = api.post(
        "/navigation/projects",
        {
            "organization": lead,
            "partners": partners,
            "industry": industry,
            "budget_plan": [
                {"year": 2026, "amount": navigation_service},
                {"year": 2027, "amount": data_purchase},
            ],
            "deliverables": [
                "新材料产业专利导航分析报告",
                "产业发展路径建议",
                "重点企业专利布局清单",
            ],
            "fields": {"duration_months": 15},
            "cost_lines": [
                {"kind": "navigation_service", "amount": navigation_service, "reference": "合同"},
                {"kind": "data_purchase", "amount": data_purchase, "reference": "数据库"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    project = response.json()
    for kind in ("proposal", "cooperation_agreement"):
        r = api.upload(f"/applications/{project['id']}/attachments", f"{kind}.pdf", PDF, kind)
        assert r.status_code == 201, r.content
    return project


def confirm_partners(api: Api, project: dict) -> None:
    for partner in project["partners"]:
        r = api.post(
            f"/navigation/projects/{project['id']}/partners/{partner['organization']}/confirm"
        )
        assert r.status_code == 200, r.content


def through_eligibility(project_id: int) -> None:
    for reviewer in ("reviewer-tianshan", "reviewer-city"):
        r = decide(login(reviewer), project_id, "approve")
        assert r.status_code == 200, r.content


def score_all(project_id: int, scores: list[str], criteria: list[str]) -> None:
    """Every expert drawn for the project declares no conflict, then scores."""
    from experts.models import ExpertReview

    reviews = ExpertReview.objects.filter(project_id=project_id).select_related("expert__user")
    for review, score in zip(reviews.order_by("id"), scores, strict=True):
        expert = login(review.expert.user.username)
        r = expert.post(f"/navigation/reviews/{review.pk}/declaration", {"conflict": False})
        assert r.status_code == 200, r.content
        r = expert.post(
            f"/navigation/reviews/{review.pk}/scores",
            {"scores": {c: score for c in criteria}, "comment": "方案可行，产业基础较好。"},
        )
        assert r.status_code == 200, r.content


def scored_projects(
    applicant: Api, scores: tuple[list[str], ...] = (["90"] * 5, ["70"] * 5)
) -> list[dict]:
    """One scored project per entry of ``scores`` (each expert's score for every criterion),
    each with its own lead alliance and admitted partner agency, in the lead's district 天山区."""
    from navigation.models import NavigationConfig

    criteria = [
        c["code"] for c in NavigationConfig.objects.get(program__code="navigation").criteria
    ]
    projects = []
    for i, project_scores in enumerate(scores):
        lead = register_org(applicant, serial=821 + i, name=f"产业联盟{i}", kind="alliance")
        agency = register_agency(applicant, 921 + i, f"服务机构{i}")
        project = create_project(applicant, lead=lead, partners=[agency])
        confirm_partners(applicant, project)
        assert applicant.post(f"/applications/{project['id']}/submit").status_code == 200
        through_eligibility(project["id"])
        assert (
            login("admin").post(f"/navigation/projects/{project['id']}/draws", {}).status_code
            == 201
        )
        score_all(project["id"], project_scores, criteria)
        projects.append(project)
    return projects


@contextmanager
def signed_off(project_ids: list[int], capture) -> Iterator[dict]:
    """The city selects the projects; the clock moves past the notice period and the region
    signs off (the award letters issued, eager). Inside the block the clock keeps running there."""
    r = login("reviewer-city").post(
        "/navigation/programs/navigation/selection",
        {"selected": [{"application": pk} for pk in project_ids]},
    )
    assert r.status_code == 201, r.content
    notice = r.json()
    ends_at = dt.datetime.fromisoformat(notice["ends_at"])
    with time_machine.travel(ends_at + dt.timedelta(hours=1), tick=True):
        with capture(execute=True):
            r = login("reviewer-region").post(f"/navigation/notices/{notice['id']}/sign-off")
        assert r.status_code == 200, r.content
        yield r.json()


def accept_milestone(applicant: Api, milestone: dict, capture, report: str = "阶段报告") -> dict:
    """The applicant reports, the city (the milestone chain) accepts; after-commit work runs."""
    r = applicant.post(f"/navigation/milestones/{milestone['id']}/submit", {"report": report})
    assert r.status_code == 200, r.content
    with capture(execute=True):
        r = login("reviewer-city").post(
            f"/navigation/milestones/{milestone['id']}/decisions", {"decision": "approve"}
        )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    return r.json()


def pay_tranche(finance: Api, tranche_id: int, reference: str) -> None:
    r = finance.post("/disbursements", {"tranches": [tranche_id]})
    assert r.status_code == 201, r.content
    batch = r.json()
    assert batch["items"][0]["tranche"] == tranche_id
    r = finance.post(f"/disbursements/{batch['id']}/paid", {"reference": reference})
    assert r.status_code == 200, r.content
