"""The plan's other funded lines are data only (``demo/programs/*.json``, seeded by seed_demo):
each runs end to end through the API, and no module of the project names them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from demo.seed import DATA_PROGRAMS, data_programs
from grants.models import Application, Program
from tests.support.clients import login
from tests.support.personas import ADMIN, APPLICANT
from tests.support.programs import claim, letter_text, through_chain

ROOT = Path(__file__).resolve().parents[2]


def _codes() -> set[str]:
    return {doc["code"] for doc in data_programs(timezone.localdate().year)}


def test_no_module_names_the_data_programmes():
    codes = _codes()
    assert len(codes) == 3
    packages = ["config"] + [
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    ]
    offenders = []
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}: {c}" for c in codes if c in text]
    assert offenders == []
    assert sorted(p.name for p in DATA_PROGRAMS.glob("*.json")) == sorted(
        f"{c}.json" for c in codes
    )


def test_each_is_seeded_with_its_fields_rules_letters_and_indicator_link(demo):
    admin = login(ADMIN)
    links = {}
    for code in _codes():
        program = Program.objects.get(code=code)
        assert program.budgets.get(year=program.year).allocated > 0
        assert program.rule_sets.filter(state="active").exists()
        definition = admin.get(f"/programs/{code}/definition").json()
        assert definition["letters"]["templates"]["award"]
        assert definition["rule_set"]["test_cases"]
        links[definition["name"]] = definition["indicators"]
        detail = admin.get(f"/programs/{code}").json()
        assert detail["indicators"] == definition["indicators"]
    assert links == {
        "中小企业运用高校院所专利转化奖补": [{"number": 1, "measure": "count"}],
        "知识产权质押融资贴息": [
            {"number": 4, "measure": "amount", "field": "loan_amount"},
            {"number": 4, "measure": "count"},
        ],
        "区域商标品牌培育": [{"number": 7, "measure": "count"}],
    }


def _code(name: str) -> str:
    return Program.objects.get(name=name).code


def test_sme_adoption_of_a_university_patent_end_to_end(demo, django_capture_on_commit_callbacks):
    code = _code("中小企业运用高校院所专利转化奖补")
    applicant = login(APPLICANT)
    today = timezone.localdate()
    app = claim(
        applicant,
        code,
        fields={
            "patent_number": "ZL202110000001.0",
            "patent_title": "一种高强铝合金制备方法",
            "licensor": "新疆大学",
            "licensor_kind": "高等学校",
            "transfer_mode": "专利许可",
            "free_licence_first": True,
            "free_period_months": 12,
            "contract_number": "XJU-JS-018",
            "contract_date": (today - dt.timedelta(days=20)).isoformat(),
        },
        cost_lines=[
            {"kind": "licence_fee", "amount": "60000.00", "reference": "许可费"},
            {"kind": "agency_fee", "amount": "5000.00", "reference": "中介费"},
        ],
        attachments=["contract", "payment_proof"],
        serial=5101,
    )
    assert app["award_amount"] == "30000.00"  # half of the licence fee, the agency fee never
    through_chain(app["id"], django_capture_on_commit_callbacks)
    text = letter_text(applicant, app["id"])
    assert "许可方或转让方：新疆大学" in text
    assert "先免费许可、后有偿转化：是" in text
    assert "专利许可费¥60,000.00" in text and "人民币叁万元整" in text
    assert "认证" not in text and "服务券" not in text


def test_an_enterprise_that_is_not_an_sme_is_refused_by_a_rule(demo):
    code = _code("中小企业运用高校院所专利转化奖补")
    applicant = login(APPLICANT)
    app = claim(
        applicant,
        code,
        fields={
            "patent_number": "ZL1",
            "patent_title": "x",
            "licensor": "新疆大学",
            "licensor_kind": "高等学校",
            "transfer_mode": "专利转让",
            "contract_number": "C-1",
            "contract_date": timezone.localdate().isoformat(),
        },
        cost_lines=[{"kind": "assignment_fee", "amount": "1000.00", "reference": "r"}],
        attachments=["contract", "payment_proof"],
        serial=5102,
        submit=False,
    )
    from grants.models import Organization

    Organization.objects.filter(applications__pk=app["id"]).update(is_sme=False)
    response = applicant.post(f"/applications/{app['id']}/submit")
    assert response.status_code == 422
    failed = {c["rule"] for c in response.json()["checks"] if c["passed"] is False}
    assert "sme" in failed


def test_pledge_financing_interest_subsidy_end_to_end(demo, django_capture_on_commit_callbacks):
    code = _code("知识产权质押融资贴息")
    applicant = login(APPLICANT)
    today = timezone.localdate()
    app = claim(
        applicant,
        code,
        fields={
            "loan_contract_number": "JK-018",
            "bank": "乌鲁木齐银行高新区支行",
            "loan_amount": "3000000.00",
            "loan_start": (today - dt.timedelta(days=60)).isoformat(),
            "loan_end": (today + dt.timedelta(days=300)).isoformat(),
            "pledged_rights": "ZL201910000001.2",
            "pledge_registration": "Y650000001",
        },
        cost_lines=[
            {"kind": "interest", "amount": "90000.00", "reference": "利息回单"},
            {"kind": "guarantee_fee", "amount": "6000.00", "reference": "担保费"},
        ],
        attachments=["loan_contract", "pledge_registration", "interest_receipts"],
        serial=5103,
    )
    assert app["award_amount"] == "45000.00"  # 50% of the interest paid, under the cap
    through_chain(app["id"], django_capture_on_commit_callbacks)
    text = letter_text(applicant, app["id"])
    assert "贷款银行：乌鲁木齐银行高新区支行" in text and "贷款金额：¥3,000,000.00" in text
    assert "已付贷款利息¥90,000.00" in text and "担保费" in text  # named as not subsidised
    assert "人民币肆万伍仟元整" in text


def test_regional_trademark_brand_runs_through_its_public_notice(
    demo, django_capture_on_commit_callbacks
):
    code = _code("区域商标品牌培育")
    applicant = login(APPLICANT)
    today = timezone.localdate()
    apps = []
    for i, members in enumerate((12, 40)):
        app = claim(
            applicant,
            code,
            fields={
                "brand_name": f"乌鲁木齐馕{i}",
                "trademark_number": f"第1234567{i}号",
                "trademark_kind": "集体商标",
                "registered_on": (today - dt.timedelta(days=200)).isoformat(),
                "member_enterprises": members,
                "workstation": True,
                "cultivation_plan": "依托馕文化产业园开展品牌培育",
            },
            cost_lines=[{"kind": "promotion", "amount": "100000.00", "reference": "推广费"}],
            attachments=["registration_certificate", "cultivation_plan", "invoices"],
            serial=5110 + i,
            kind="association",
        )
        body = through_chain(app["id"], django_capture_on_commit_callbacks)
        assert body["status"] == "in_review"  # the chain approved; the notice decides
        apps.append(app)
    city = login("reviewer-city")
    ranking = city.get(f"/programs/{code}/ranking").json()["applications"]
    assert [r["application"] for r in ranking] == [apps[1]["id"], apps[0]["id"]]  # 40 > 12
    selection = city.post(f"/programs/{code}/selection", {"comment": ""})
    assert selection.status_code == 200, selection.content
    notice_id = selection.json()["notice"]
    public = Client()
    notice = public.get(f"/api/v1/steps/notices/{notice_id}").json()
    assert notice["open_for_objections"]
    assert [e["application"] for e in notice["applications"]] == sorted(a["id"] for a in apps)
    assert not Application.objects.filter(
        pk__in=[a["id"] for a in apps], letters__isnull=False
    ).exists()
    filed = public.post(
        f"/api/v1/steps/notices/{notice_id}/objections",
        {
            "name": "王先生",
            "contact": "13900000000",
            "text": "该商标使用企业数存疑。",
            "application": apps[0]["id"],
        },
        content_type="application/json",
    )
    assert filed.status_code == 201, filed.content
    region = login("reviewer-region")
    assert region.post(f"/steps/notices/{notice_id}/sign-off").status_code == 409  # still running
    resolved = city.post(
        f"/steps/objections/{filed.json()['id']}/resolution",
        {"outcome": "dismissed", "resolution": "经核实，使用企业数属实。"},
    )
    assert resolved.status_code == 200, resolved.content
    ends_at = dt.datetime.fromisoformat(notice["ends_at"])
    with time_machine.travel(ends_at + dt.timedelta(hours=1), tick=True):
        with django_capture_on_commit_callbacks(execute=True):
            signed = region.post(f"/steps/notices/{notice_id}/sign-off")
        assert signed.status_code == 200, signed.content
        assert sorted(signed.json()["awarded"]) == sorted(a["id"] for a in apps)
    for app in apps:
        assert Application.objects.get(pk=app["id"]).status == "awarded"
    text = letter_text(applicant, apps[1]["id"])
    assert "区域商标品牌名称：乌鲁木齐馕1" in text and "公示期满无异议" in text
    assert "人民币伍万元整" in text
