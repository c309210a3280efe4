"""Applying for a navigation programme in the browser: the portal's "Apply" leads to the joint
application form (lead, partner agencies, industry, deliverables, budget plan by year, costs);
the partner agencies' people are told; once they confirm, the lead submits on the page."""

from __future__ import annotations

import pytest
from django.core import mail

from demo.seed import DEMO_AGENCY
from grants.models import Application, Notification, Organization, Status, User
from navigation.models import NavigationProject
from tests.support.claims import register_org
from tests.support.clients import web
from tests.support.documents import PDF
from tests.support.navigation import register_agency
from tests.support.pages import followed, page

APPLY = "/navigation/navigation/apply/"
LEAD = "乌鲁木齐新材料产业联盟"


@pytest.fixture
def lead(applicant) -> int:
    """The applicant acts for an alliance in 天山区 (a kind that may lead a project)."""
    return register_org(applicant, serial=861, name=LEAD, kind="alliance")


@pytest.fixture
def demo_agency() -> int:
    return Organization.objects.get(name=DEMO_AGENCY["name"]).pk


def joint_post(lead: int, partners: list[int], **overrides) -> dict:
    """The form as a user fills it in: two budget years, the same total in the cost lines."""
    data = {
        "organization": str(lead),
        "partners": [str(p) for p in partners],
        "industry": "新材料",
        "deliverables": "新材料产业专利导航分析报告\n产业发展路径建议\n",
        "plan_year": ["2026", "2027", ""],
        "plan_amount": ["300000.00", "100000.00", ""],
        "field_duration_months": "15",
        "cost_kind": ["navigation_service", "data_purchase"],
        "cost_amount": ["300000.00", "100000.00"],
        "cost_reference": ["导航服务合同", "数据库采购"],
    }
    data.update(overrides)
    return data


def test_apply_leads_to_the_joint_form_and_ends_in_a_submitted_application(lead, demo_agency):
    applicant = web("applicant")
    html = page(applicant.get("/portal/"))
    assert "每个合作服务机构确认参与后方可提交" in html  # the programme's card says so
    assert f'href="{APPLY}"' in html
    # the generic "Apply" address leads to the joint form too, never to a plain draft
    r = applicant.get("/portal/programs/navigation/apply/")
    assert r.status_code == 302 and r["Location"] == APPLY
    r = applicant.post("/portal/programs/navigation/apply/", {"organization": str(lead)})
    assert r.status_code == 302 and not Application.objects.exists()

    html = page(applicant.get(APPLY))
    assert LEAD in html and DEMO_AGENCY["name"] in html
    assert f'name="partners" value="{demo_agency}"' in html
    assert 'name="plan_year"' in html and 'name="cost_amount"' in html
    assert "data-add-row" in html and "实施周期（月）" in html
    assert 'name="field_industry"' not in html  # the project's own select, not the generic field

    r = applicant.post(APPLY, joint_post(lead, [demo_agency]))
    project = NavigationProject.objects.get()
    assert r["Location"] == f"/portal/applications/{project.pk}/"
    html = followed(applicant, r)
    assert "草稿" in html and project.application.number in html
    assert DEMO_AGENCY["name"] in html and "尚未确认" in html  # the partner's confirmation
    assert project.budget_plan == [
        {"year": 2026, "amount": "300000.00"},
        {"year": 2027, "amount": "100000.00"},
    ]
    assert project.deliverables == ["新材料产业专利导航分析报告", "产业发展路径建议"]
    assert project.application.fields["duration_months"] == 15
    assert project.application.fields["partner_agency"] == DEMO_AGENCY["name"]

    for kind in ("proposal", "cooperation_agreement"):
        r = applicant.post(
            f"/portal/applications/{project.pk}/attachments/",
            {"kind": kind, "file": _pdf(f"{kind}.pdf")},
        )
        assert r.status_code == 302
    # not before the partner confirmed: said so on the page, still a draft
    html = followed(
        applicant, applicant.post(f"/portal/applications/{project.pk}/submit/", {"pledge": "1"})
    )
    assert "以下合作服务机构尚未确认参与" in html
    assert Application.objects.get(pk=project.pk).status == Status.DRAFT

    agency = web("agency")
    followed(
        agency,
        agency.post(f"/navigation/projects/{project.pk}/partners/{demo_agency}/confirm/"),
    )
    html = followed(
        applicant, applicant.post(f"/portal/applications/{project.pk}/submit/", {"pledge": "1"})
    )
    assert "已提交" in html
    assert Application.objects.get(pk=project.pk).status == Status.IN_REVIEW


def _pdf(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_bad_input_is_shown_at_its_fields_with_everything_kept(lead, demo_agency):
    applicant = web("applicant")
    r = applicant.post(
        APPLY,
        joint_post(
            lead,
            [],
            plan_year=["1999", "2027"],
            plan_amount=["300000.00", "十万"],
            deliverables="  \n",
            cost_amount=["300000.00", "1.234"],
        ),
    )
    assert r.status_code == 200
    html = page(r)
    assert "请更正标出的字段" in html  # nothing was saved
    # every error at once, each at its field
    assert 'id="err-j-partners"' in html and "请至少指定一家合作服务机构" in html
    assert 'id="err-p-1"' in html and "年度须在 2000 至 2100 之间" in html  # 1999
    assert 'id="err-p-2"' in html and "“十万”不是有效金额" in html
    assert 'id="err-j-deliverables"' in html
    assert 'id="err-c-2"' in html  # the cost line with three decimals
    # what was typed is kept
    for kept in ('value="1999"', 'value="十万"', 'value="1.234"', 'value="15"'):
        assert kept in html, kept
    assert '<option value="新材料" selected>' in html
    assert not Application.objects.exists() and not NavigationProject.objects.exists()

    # a partner not admitted to the cluster, and the user's own agency cannot be the lead
    applicant_api_agency = register_agency(
        _api("applicant"), 862, "未入驻代理有限公司", admit=False
    )
    r = applicant.post(APPLY, joint_post(lead, [applicant_api_agency]))
    assert r.status_code == 200 and "已入驻服务集聚区" in page(r)
    assert f'name="partners" value="{applicant_api_agency}"' not in page(r)  # not offered
    r = applicant.post(APPLY, joint_post(applicant_api_agency, [demo_agency]))
    assert r.status_code == 200 and 'id="err-j-org"' in page(r)
    assert not NavigationProject.objects.exists()


def _api(username: str):
    from tests.support.clients import login

    return login(username)


def test_hand_made_posts_are_answered_never_a_500(lead, demo_agency):
    applicant = web("applicant")
    someone_elses = Organization.objects.get(name=DEMO_AGENCY["name"]).pk
    posts = [
        {},
        {"organization": "abc", "partners": ["x", "99999999999999999999"]},
        joint_post(someone_elses, [demo_agency]),
        joint_post(lead, ["٣"], plan_year=["２０２６"], plan_amount=["1e400"]),
        joint_post(lead, [demo_agency], industry="不存在", field_duration_months="十五"),
        joint_post(lead, [demo_agency], cost_kind=["bogus"], cost_amount=["-1"]),
        joint_post(lead, [demo_agency], plan_year=["2026", "2026"]),
    ]
    for data in posts:
        r = applicant.post(APPLY, data)
        assert r.status_code == 200, (data, r.status_code)
        assert "field-error" in page(r) or "alert error" in page(r), data
    assert not NavigationProject.objects.exists()
    assert applicant.get("/navigation/no-such/apply/").status_code == 404
    assert applicant.get("/navigation/cert-subsidy/apply/").status_code == 404


def test_someone_without_a_lead_organisation_is_told_which_kinds_lead(demo):
    User.objects.create_user("newcomer", password="demo-pass-2026")
    html = page(web("newcomer").get(APPLY))
    assert "园区" in html and 'href="/portal/organizations/new/"' in html
    assert 'name="partners"' not in html


def test_the_partner_agency_is_told_with_a_link_to_confirm(
    lead, demo_agency, django_capture_on_commit_callbacks
):
    User.objects.filter(username="agency").update(language="en")
    applicant = web("applicant")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        followed(applicant, applicant.post(APPLY, joint_post(lead, [demo_agency])))
    number = Application.objects.get().number
    note = Notification.objects.get(kind="partner_named")  # only the agency's people
    assert note.user.username == "agency"
    assert number in note.subject and LEAD in note.body
    assert note.subject.startswith("Your agency is named")  # in the recipient's language
    assert "/navigation/partners/" in note.body
    assert [m.to for m in mail.outbox] == [["agency@demo.fundflow.invalid"]]
    assert mail.outbox[0].subject == note.subject

    agency = web("agency")  # the pages stay Chinese unless English is chosen on them
    html = page(agency.get("/notifications/"))
    assert note.subject in html and 'href="/navigation/partners/"' in html
    assert "被列为合作服务机构" in html  # the kind's label, not its code
    assert number in page(agency.get("/navigation/partners/"))


def test_the_projects_own_fields_are_shown_not_edited_on_the_draft(applicant, lead, demo_agency):
    from tests.support.navigation import create_project

    project = create_project(applicant, lead=lead, partners=[demo_agency])
    app = Application.objects.get(pk=project["id"])
    joint = {k: app.fields[k] for k in ("industry", "partner_agency", "deliverables")}

    # through the API: another industry is refused and named; other fields save, theirs stay
    r = applicant.patch(f"/applications/{app.pk}", {"fields": {"industry": "化工"}})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["fields.industry"]
    r = applicant.patch(f"/applications/{app.pk}", {"fields": {"duration_months": 18}})
    assert r.status_code == 200, r.content
    app.refresh_from_db()
    assert app.fields["duration_months"] == 18
    assert {k: app.fields[k] for k in joint} == joint

    # on the page: shown as text, no input; saving the draft (even a forged field) keeps them
    client = web("applicant")
    html = client.get(f"/portal/applications/{app.pk}/").content.decode()
    assert 'name="field_industry"' not in html and "新材料" in html
    page_form = {"field_duration_months": "20", "field_industry": "化工"}
    assert client.post(f"/portal/applications/{app.pk}/", page_form).status_code == 302
    app.refresh_from_db()
    assert app.fields["duration_months"] == 20
    assert {k: app.fields[k] for k in joint} == joint
    assert NavigationProject.objects.get(pk=app.pk).industry == "新材料"
