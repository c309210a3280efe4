"""A programme of no particular kind (not navigation) with expert review and the public notice
switched on by configuration runs draw → scores → ranking → notice → objection → letters; its
merit queue releases the best-ranked first when budget is added."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.test import Client

from experts.draw import draw_experts
from experts.models import ExpertDraw, ExpertReview
from finance.models import QueueEntry
from grants.models import Application, Program
from letters.models import Letter
from programs.models import StepProgress
from tests.support.clients import login
from tests.support.personas import ADMIN, APPLICANT, FINANCE
from tests.support.programs import claim, insurance_definition, insurance_fields, through_chain

CRITERIA = [
    {"code": "quality", "label": "保障方案质量", "label_en": "Quality of cover", "weight": 60},
    {"code": "need", "label": "企业维权需求", "label_en": "Need", "weight": 40},
]


def steps_definition() -> dict:
    return insurance_definition(
        "ip-insurance-merit",
        number_prefix="IM",
        budget_policy="queue",
        steps={
            "expert_review": {
                "experts_per_application": 3,
                "criteria": CRITERIA,
                "topic": "新材料",
            },
            "public_notice": {"working_days": 3, "target_count": None},
            "milestones": None,
        },
        ranking={"by": "expert_score", "tie_breaks": ["submitted_at"]},
    )


def score(app_id: int, value: str) -> None:
    for review in ExpertReview.objects.filter(project_id=app_id).select_related("expert__user"):
        expert = login(review.expert.user.username)
        r = expert.post(f"/steps/reviews/{review.pk}/declaration", {"conflict": False})
        assert r.status_code == 200, r.content
        assert r.json()["fields"]["policy_number"]  # the application, once declared
        r = expert.post(
            f"/steps/reviews/{review.pk}/scores",
            {"scores": {"quality": value, "need": value}, "comment": "保障方案合理。"},
        )
        assert r.status_code == 200, r.content


def test_expert_review_and_public_notice_by_configuration(demo, django_capture_on_commit_callbacks):
    admin = login(ADMIN)
    assert admin.post("/programs", steps_definition()).status_code == 201
    year = Program.objects.get(code="ip-insurance-merit").year
    assert (
        login(FINANCE)
        .post(
            "/budgets",
            {
                "program": "ip-insurance-merit",
                "year": year,
                "amount": "5000.00",
                "source": "city",
                "reason": "年度预算",
            },
        )
        .status_code
        == 201
    )
    applicant = login(APPLICANT)
    apps = []
    for i in range(3):
        app = claim(
            applicant,
            "ip-insurance-merit",
            fields=insurance_fields(),
            cost_lines=[{"kind": "premium", "amount": "20000.00", "reference": f"发票{i}"}],
            attachments=["policy", "premium_invoice"],
            serial=6101 + i,
        )
        body = through_chain(app["id"], django_capture_on_commit_callbacks)
        assert body["status"] == "in_review"  # the chain approved: experts next, no award yet
        apps.append(app["id"])
    weak, strong, middle = apps
    assert set(StepProgress.objects.values_list("stage", flat=True)) == {"expert_review"}

    # the draw: conflict-free, random, reproducible from its recorded seed
    for app_id in apps:
        r = admin.post(f"/steps/applications/{app_id}/draws", {"seed": f"seed-{app_id}"})
        assert r.status_code == 201, r.content
        draw = ExpertDraw.objects.get(project_id=app_id)
        replay = draw_experts(draw.candidates, draw.conflicts, draw.wanted, draw.seed)
        assert replay.drawn == draw.drawn and len(draw.drawn) == 3
    assert admin.post(f"/steps/applications/{weak}/draws", {}).status_code == 409  # once

    city = login("reviewer-city")
    assert city.post("/programs/ip-insurance-merit/selection", {}).status_code == 409  # scoring
    for app_id, value in ((weak, "70"), (strong, "90"), (middle, "80")):
        score(app_id, value)
    ranking = city.get("/programs/ip-insurance-merit/ranking").json()["applications"]
    assert [(r["application"], r["expert_score"]) for r in ranking] == [
        (strong, "90.00"),
        (middle, "80.00"),
        (weak, "70.00"),
    ]
    assert [r["merit"] for r in ranking] == ["90", "80", "70"]  # never the amount (equal here)

    selected = city.post("/programs/ip-insurance-merit/selection", {})
    assert selected.status_code == 200, selected.content
    notice_id = selected.json()["notice"]
    public = Client()  # no login
    notice = public.get(f"/api/v1/steps/notices/{notice_id}").json()
    assert len(notice["applications"]) == 3
    filed = public.post(
        f"/api/v1/steps/notices/{notice_id}/objections",
        {
            "name": "李女士",
            "contact": "0991-5550000",
            "text": "该企业保单系伪造。",
            "application": middle,
        },
        content_type="application/json",
    )
    assert filed.status_code == 201, filed.content
    region = login("reviewer-region")
    ends_at = dt.datetime.fromisoformat(notice["ends_at"])
    with time_machine.travel(ends_at + dt.timedelta(hours=1), tick=True):
        # an objection open: the notice does not close clean, no letter yet
        assert region.post(f"/steps/notices/{notice_id}/sign-off").status_code == 409
        assert not Letter.objects.filter(application_id__in=apps).exists()
        upheld = city.post(
            f"/steps/objections/{filed.json()['id']}/resolution",
            {"outcome": "upheld", "resolution": "经核实，保单不实，撤销拟支持。"},
        )
        assert upheld.status_code == 200, upheld.content
        with django_capture_on_commit_callbacks(execute=True):
            signed = region.post(f"/steps/notices/{notice_id}/sign-off")
        assert signed.status_code == 200, signed.content
    assert signed.json()["awarded"] == []  # ¥5,000 covers no award of ¥12,000
    assert signed.json()["queued"] == [strong, weak]  # best-ranked first
    statuses = dict(Application.objects.filter(pk__in=apps).values_list("pk", "status"))
    assert statuses == {strong: "in_review", weak: "in_review", middle: "rejected"}
    assert list(QueueEntry.objects.filter(status="waiting").values_list("application", "rank")) == [
        (strong, Decimal("90")),
        (weak, Decimal("70")),
    ]
    assert not Letter.objects.filter(application_id__in=[strong, weak], kind="award").exists()

    # finance adds budget: the best-ranked award is committed first, approved, its letter issued
    with django_capture_on_commit_callbacks(execute=True):
        r = login(FINANCE).post(
            "/budgets",
            {
                "program": "ip-insurance-merit",
                "year": year,
                "amount": "10000.00",
                "source": "city",
                "reason": "追加预算",
            },
        )
    assert r.status_code == 201, r.content
    statuses = dict(Application.objects.filter(pk__in=apps).values_list("pk", "status"))
    assert statuses[strong] == "awarded" and statuses[weak] == "in_review"
    assert Letter.objects.filter(application_id=strong, kind="award", status="issued").exists()


def test_milestones_with_tranches_by_configuration(demo, django_capture_on_commit_callbacks):
    """With milestones switched on, the award is planned in tranches (nothing committed at the
    award), each committed when its milestone is accepted; the last is the acceptance, with
    its certificate from the programme's own template."""
    from finance.models import LedgerEntry, Tranche

    document = insurance_definition(
        "ip-insurance-staged",
        number_prefix="IT",
        steps={
            "expert_review": None,
            "public_notice": None,
            "milestones": {
                "milestones": [
                    {
                        "code": "midterm",
                        "label": "中期检查",
                        "label_en": "Mid-term",
                        "share": 40,
                        "due_months": 6,
                    },
                    {
                        "code": "final",
                        "label": "项目验收",
                        "label_en": "Acceptance",
                        "share": 60,
                        "due_months": 12,
                    },
                ],
                "levels": ["city"],
            },
        },
    )
    document["letters"]["templates"]["acceptance"] = (
        '{% extends "letters/_document.html" %}\n{% block body %}'
        "<p>你单位承担的“{{ program.name }}”项目（合同编号：{{ contract.number }}）已通过验收。</p>"
        "<p>{% for m in contract.milestones %}{{ m.label }}于{{ m.accepted_on|cn_date }}通过；{% endfor %}</p>"
        "{% endblock %}"
    )
    admin = login(ADMIN)
    assert admin.post("/programs", document).status_code == 201, "created"
    year = document["year"]
    login(FINANCE).post(
        "/budgets",
        {
            "program": "ip-insurance-staged",
            "year": year,
            "amount": "100000.00",
            "source": "city",
            "reason": "年度预算",
        },
    )
    applicant = login(APPLICANT)
    app = claim(
        applicant,
        "ip-insurance-staged",
        fields=insurance_fields(),
        cost_lines=[{"kind": "premium", "amount": "20000.00", "reference": "发票"}],
        attachments=["policy", "premium_invoice"],
        serial=6201,
    )
    through_chain(app["id"], django_capture_on_commit_callbacks)
    assert Application.objects.get(pk=app["id"]).status == "awarded"
    assert list(
        Tranche.objects.filter(application_id=app["id"]).values_list("amount", flat=True)
    ) == [
        Decimal("4800.00"),
        Decimal("7200.00"),
    ]
    assert not LedgerEntry.objects.filter(application_id=app["id"], kind="commit").exists()
    milestones = applicant.get(f"/steps/applications/{app['id']}/milestones").json()
    city = login("reviewer-city")
    for milestone in milestones:
        r = applicant.post(f"/steps/milestones/{milestone['id']}/report", {"report": "阶段报告"})
        assert r.status_code == 200, r.content
        with django_capture_on_commit_callbacks(execute=True):
            r = city.post(f"/steps/milestones/{milestone['id']}/decisions", {"decision": "approve"})
        assert r.status_code == 200 and r.json()["status"] == "accepted", r.content
    committed = LedgerEntry.objects.filter(application_id=app["id"], kind="commit")
    assert sum(e.amount for e in committed) == Decimal("12000.00")
    certificate = Letter.objects.get(application_id=app["id"], kind="acceptance")
    assert (
        certificate.status == "issued"
        and certificate.template.program.code == "ip-insurance-staged"
    )
    assert StepProgress.objects.get(application_id=app["id"]).stage == "accepted"
