"""The navigation programme in the browser: partner agencies confirm, experts declare then
score, the city selects on the ranking and resolves objections, the region signs off,
applicants report on milestones and the city decides them. Pages are Chinese by default."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from demo.seed import DEMO_AGENCY
from experts.models import ExpertReview
from grants.models import Application, Organization, Status
from milestones.models import Milestone
from navigation.models import (
    NavigationConfig,
    NavigationProject,
    Partner,
    Stage,
)
from notices.models import Notice, Objection
from tests.support.claims import register_org
from tests.support.clients import login, web
from tests.support.navigation import (
    confirm_partners,
    create_project,
    register_agency,
    through_eligibility,
)
from tests.support.pages import followed, page, stranger

DELIVERABLE = "新材料产业专利导航分析报告"  # from create_project: part of the application's content


def criteria() -> list[dict]:
    return NavigationConfig.objects.get(program__code="navigation").criteria


# ---------------------------------------------------------------- partner confirmation


@pytest.fixture
def joint_draft(applicant) -> dict:
    """A joint application led by an alliance in 天山区 with the demo agency as its partner."""
    lead = register_org(applicant, serial=831, name="乌鲁木齐新材料产业联盟", kind="alliance")
    partner = Organization.objects.get(name=DEMO_AGENCY["name"]).pk
    return create_project(applicant, lead=lead, partners=[partner])


def test_partner_agency_confirms_and_the_lead_can_then_submit(joint_draft):
    app_id = joint_draft["id"]
    lead = web("applicant")
    html = page(lead.get(f"/portal/applications/{app_id}/"))
    assert DEMO_AGENCY["name"] in html and "尚未确认" in html

    # submission is refused until the partner confirms: the service's message is shown
    html = followed(lead, lead.post(f"/portal/applications/{app_id}/submit/", {"pledge": "1"}))
    assert "以下合作服务机构尚未确认参与" in html and DEMO_AGENCY["name"] in html
    assert Application.objects.get(pk=app_id).status == Status.DRAFT

    agency = web("agency")
    assert "待您确认" in page(agency.get("/portal/"))
    assert 'href="/navigation/partners/"' in page(agency.get("/"))
    html = page(agency.get("/navigation/partners/"))
    assert joint_draft["number"] in html and "乌鲁木齐新材料产业联盟" in html
    assert DELIVERABLE in html  # the partner reads what it commits to
    org_id = Organization.objects.get(name=DEMO_AGENCY["name"]).pk
    confirm = f"/navigation/projects/{app_id}/partners/{org_id}/confirm/"
    assert f'action="{confirm}"' in html
    assert agency.get(confirm).status_code == 405  # a change is a POST

    html = followed(agency, agency.post(confirm))
    assert "已确认参与" in html and "已确认" in html
    assert f'action="{confirm}"' not in html
    partner = Partner.objects.get(project_id=app_id)
    assert partner.confirmed_at and partner.confirmed_by.username == "agency"

    # the lead sees the confirmation and submits
    assert "尚未确认" not in page(lead.get(f"/portal/applications/{app_id}/"))
    followed(lead, lead.post(f"/portal/applications/{app_id}/submit/", {"pledge": "1"}))
    assert Application.objects.get(pk=app_id).status == Status.IN_REVIEW


def test_another_agency_sees_nothing_and_cannot_confirm(joint_draft):
    org_id = Organization.objects.get(name=DEMO_AGENCY["name"]).pk
    other = stranger("agency-2", agency=True)
    html = page(other.get("/navigation/partners/"))
    assert joint_draft["number"] not in html
    confirm = f"/navigation/projects/{joint_draft['id']}/partners/{org_id}/confirm/"
    assert other.post(confirm).status_code == 404
    assert other.get(f"/portal/applications/{joint_draft['id']}/").status_code == 404
    # the lead applicant sees the project but does not act for the partner: refused, said why
    lead = web("applicant")
    html = followed(lead, lead.post(confirm))
    assert "仅合作服务机构的经办人可以确认" in html
    assert Partner.objects.get(project_id=joint_draft["id"]).confirmed_at is None
    assert Client().post(confirm).status_code == 302  # to the login page


# ---------------------------------------------------------------- experts


@pytest.fixture
def drawn(applicant) -> dict:
    """A joint application through eligibility, its five experts drawn."""
    lead = register_org(applicant, serial=841, name="乌鲁木齐先进材料产业联盟", kind="alliance")
    agency = register_agency(applicant, 941, "新疆知识产权服务中心")
    project = create_project(applicant, lead=lead, partners=[agency])
    confirm_partners(applicant, project)
    assert applicant.post(f"/applications/{project['id']}/submit").status_code == 200
    through_eligibility(project["id"])
    r = login("admin").post(f"/navigation/projects/{project['id']}/draws", {"seed": "web-1"})
    assert r.status_code == 201, r.content
    return project


def _first_review(project: dict) -> ExpertReview:
    return (
        ExpertReview.objects.filter(project_id=project["id"])
        .select_related("expert__user")
        .order_by("id")
        .first()
    )


def _scores(**values) -> dict[str, str]:
    data = {f"score_{c['code']}": "80" for c in criteria()}
    data.update({f"score_{k}": v for k, v in values.items()})
    return data


def test_the_expert_sees_the_application_only_after_declaring_then_scores(drawn):
    review = _first_review(drawn)
    expert = web(review.expert.user.username)
    url = f"/navigation/reviews/{review.pk}/"

    html = page(expert.get("/"))
    assert 'href="/navigation/reviews/"' in html  # in the navigation bar, with a count
    html = page(expert.get("/navigation/reviews/"))
    assert drawn["number"] in html and f'href="{url}"' in html

    # before the declaration: who is involved, nothing of the content
    html = page(expert.get(url))
    assert "利益冲突声明" in html and "乌鲁木齐先进材料产业联盟" in html
    for content in (DELIVERABLE, "300000.00", "proposal.pdf", "导航服务费", 'name="score_'):
        assert content not in html, content
    assert expert.get(f"/applications/{drawn['id']}/").status_code == 404
    assert expert.get(f"/api/v1/applications/{drawn['id']}").status_code in (401, 404)
    # scoring before the declaration is refused and nothing is stored
    r = expert.post(url, _scores() | {"comment": "提前评分"})
    assert r.status_code == 409 and "请先声明" in page(r)
    assert ExpertReview.objects.get(pk=review.pk).status == ExpertReview.Status.DRAWN

    # no choice made: said so, nothing stored
    r = expert.post(f"{url}declaration/", {"reason": ""})
    assert r.status_code == 200 and "请声明您是否存在利益冲突" in page(r)
    html = followed(expert, expert.post(f"{url}declaration/", {"conflict": "no"}))
    assert "声明已记录" in html
    for content in (DELIVERABLE, "300,000.00", "proposal.pdf", "导航服务费"):
        assert content in html, content
    for c in criteria():
        assert f'name="score_{c["code"]}"' in html and c["label"] in html
    assert expert.get(f"/applications/{drawn['id']}/").status_code == 200

    # a score out of bounds: the error at its field, everything typed kept, nothing stored
    r = expert.post(url, _scores(plan="105", impact="77.5") | {"comment": "方案基本可行。"})
    assert r.status_code == 200
    html = page(r)
    assert "评分须在 0 至 100 之间" in html and 'id="err-score-plan"' in html
    assert 'value="105"' in html and 'value="77.5"' in html and "方案基本可行。" in html
    assert ExpertReview.objects.get(pk=review.pk).status == ExpertReview.Status.DECLARED
    r = expert.post(url, _scores(base="八十") | {"comment": "x"})
    assert r.status_code == 200 and 'value="八十"' in page(r)
    r = expert.post(url, _scores() | {"comment": "  "})
    assert r.status_code == 200 and 'id="err-comment"' in page(r)

    html = followed(
        expert,
        expert.post(
            url, _scores(base="90", plan="85", agency="80", impact="70") | {"comment": "好"}
        ),
    )
    assert "评分已提交" in html
    stored = ExpertReview.objects.get(pk=review.pk)
    assert stored.status == ExpertReview.Status.SUBMITTED
    assert str(stored.total) == "82.00"  # 90×25% + 85×30% + 80×25% + 70×20%
    assert "82.00" in html and 'name="score_base"' not in html  # read-only now
    r = expert.post(url, _scores() | {"comment": "改分"})
    assert r.status_code == 409 and "该评审已结束" in page(r)
    assert str(ExpertReview.objects.get(pk=review.pk).total) == "82.00"


def test_an_expert_cannot_open_or_score_someone_elses_review(drawn):
    mine, theirs = ExpertReview.objects.filter(project_id=drawn["id"]).order_by("id")[:2]
    me = web(mine.expert.user.username)
    url = f"/navigation/reviews/{theirs.pk}/"
    assert me.get(url).status_code == 404
    assert me.post(f"{url}declaration/", {"conflict": "no"}).status_code == 404
    assert me.post(url, _scores() | {"comment": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ExpertReview.Status.DRAWN and theirs.scores == {}
    # someone who is not an expert has no review pages at all
    assert web("applicant").get("/navigation/reviews/").status_code == 403
    assert web("applicant").get(url).status_code == 404


def test_declaring_a_conflict_needs_a_reason_and_draws_a_replacement(drawn):
    review = _first_review(drawn)
    expert = web(review.expert.user.username)
    url = f"/navigation/reviews/{review.pk}/declaration/"
    r = expert.post(url, {"conflict": "yes", "reason": " "})
    assert r.status_code == 200
    html = page(r)
    assert 'id="err-reason"' in html and 'id="c-yes" name="conflict" value="yes" checked' in html
    html = followed(expert, expert.post(url, {"conflict": "yes", "reason": "曾为该联盟提供咨询"}))
    assert "已另行抽取专家" in html
    review.refresh_from_db()
    assert review.status == ExpertReview.Status.CONFLICT
    assert ExpertReview.objects.filter(project_id=drawn["id"]).count() == 6
    html = page(expert.get(f"/navigation/reviews/{review.pk}/"))
    assert "曾为该联盟提供咨询" in html and DELIVERABLE not in html


# ---------------------------------------------------------------- city selection


def test_the_city_selects_on_the_ranking_page_and_opens_the_notice(scored):
    first, second = scored
    city = web("reviewer-city")
    url = "/navigation/navigation/ranking/"
    html = page(city.get(url))
    assert "¥2,500,000.00" in html and "决定" in html
    assert f'name="selected" value="{first["id"]}"' in html
    assert 'href="/navigation/navigation/ranking/"' in page(city.get("/review/"))

    # against the ranking without a comment, and a bad amount: errors, input kept
    r = city.post(
        url, {"selected": [str(second["id"])], f"amount_{second['id']}": "三十万", "comment": ""}
    )
    assert r.status_code == 200
    html = page(r)
    assert "不是有效金额" in html and 'value="三十万"' in html
    assert f'value="{second["id"]}" id="sel-{second["id"]}" checked' in html
    r = city.post(url, {"selected": [str(second["id"])], "comment": ""})
    assert r.status_code == 200 and "请说明入选名单与排名不一致的理由" in page(r)
    r = city.post(url, {"comment": "全部不选"})
    assert r.status_code == 200 and "至少" in page(r)
    r = city.post(url, {"selected": ["abc", "999999"], "amount_abc": "1", "comment": "x"})
    assert r.status_code == 200 and page(r).count("不是本批次已评分的项目") == 2
    assert not Notice.objects.exists()

    # following the ranking, the second at a lower amount
    r = city.post(
        url,
        {
            "selected": [str(first["id"]), str(second["id"])],
            f"amount_{second['id']}": "300000.00",
            "comment": "",
        },
    )
    notice = Notice.objects.get()
    assert r["Location"] == f"/navigation/notices/{notice.pk}/"
    html = followed(city, r)
    assert notice.number in html and "异议受理截止至" in html
    assert "¥300,000.00" in html and "¥400,000.00" in html
    stages = dict(NavigationProject.objects.values_list("pk", "stage"))
    assert stages == {first["id"]: Stage.NOTICE, second["id"]: Stage.NOTICE}
    assert str(Application.objects.get(pk=second["id"]).award_amount) == "300000.00"


def test_only_the_city_selects_and_others_do_not_see_the_ranking(scored):
    url = "/navigation/navigation/ranking/"
    region = web("reviewer-region")
    html = page(region.get(url))
    assert scored[0]["number"] in html and 'name="selected"' not in html  # no form shown
    r = region.post(url, {"selected": [str(scored[0]["id"])]})
    assert r.status_code == 403 and "仅市级可以对排名名单作出决定" in page(r)
    assert not Notice.objects.exists()
    for username in ("applicant", "reviewer-tianshan", "agency"):
        assert web(username).get(url).status_code == 404
    assert web("reviewer-city").get("/navigation/no-such/ranking/").status_code == 404


# ---------------------------------------------------------------- objections and sign-off


@pytest.fixture
def noticed(scored) -> Notice:
    r = login("reviewer-city").post(
        "/navigation/programs/navigation/selection",
        {"selected": [{"application": p["id"]} for p in scored]},
    )
    assert r.status_code == 201, r.content
    return Notice.objects.get(pk=r.json()["id"])


def _object(notice: Notice, project_id: int) -> Objection:
    r = Client().post(
        f"/navigation/notices/{notice.pk}/",
        {
            "name": "李四",
            "contact": "li@example.com",
            "text": "合作机构资质存疑",
            "project": project_id,
        },
    )
    assert r.status_code == 302
    return Objection.objects.latest("id")


def test_the_city_resolves_objections_and_the_region_signs_off(noticed, scored):
    objection = _object(noticed, scored[1]["id"])
    url = f"/navigation/notices/{noticed.pk}/"
    resolve = f"/navigation/objections/{objection.pk}/resolve/"
    sign_off = f"/navigation/notices/{noticed.pk}/sign-off/"

    # the public and applicants see the notice, not the objections or any button
    for client in (Client(), web("applicant")):
        html = page(client.get(url))
        assert noticed.number in html and "合作机构资质存疑" not in html
        assert resolve not in html and sign_off not in html
    r = web("applicant").post(resolve, {"outcome": "dismissed", "resolution": "无"})
    assert r.status_code == 403 and "仅市级可以处理异议" in page(r)
    assert Client().post(resolve).status_code == 302  # to the login page

    city = web("reviewer-city")
    html = page(city.get(url))
    assert "合作机构资质存疑" in html and "li@example.com" in html
    assert f'action="{resolve}"' in html and sign_off not in html
    assert f'href="{url}"' in page(city.get("/review/"))
    # no outcome chosen: a plain message at the radios, the typed resolution kept, no 500
    r = city.post(resolve, {"resolution": "经核实资质符合要求"})
    assert r.status_code == 200
    html = page(r)
    assert f'id="err-outcome-{objection.pk}"' in html and "请选择审核结论" in html
    assert "请使用" not in html and "经核实资质符合要求</textarea>" in html
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.OPEN
    r = city.post(resolve, {"outcome": "upheld", "resolution": ""})
    assert r.status_code == 200
    html = page(r)
    assert 'id="err-res-' in html and f'id="out-{objection.pk}-upheld" name="outcome"' in html
    assert 'value="upheld" required checked' in html
    html = followed(
        city, city.post(resolve, {"outcome": "dismissed", "resolution": "经核实资质符合要求"})
    )
    assert "已驳回" in html and "经核实资质符合要求" in html
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.DISMISSED

    # the region: the button only once the period is over; the service refuses before
    region = web("reviewer-region")
    html = page(region.get(url))
    assert "期满后方可审定" in html and f'action="{sign_off}"' not in html
    r = region.post(sign_off)
    assert r.status_code == 409 and "公示期至" in page(r)
    with time_machine.travel(noticed.ends_at + dt.timedelta(hours=1), tick=False):
        city, region = web("reviewer-city"), web("reviewer-region")
        assert f'action="{sign_off}"' not in page(city.get(url))
        r = city.post(sign_off)
        assert r.status_code == 403 and "仅自治区可以审定" in page(r)
        html = page(region.get(url))
        assert f'action="{sign_off}"' in html
        html = followed(region, region.post(sign_off))
        assert "已审定" in html and "2 个项目获批立项" in html
    noticed.refresh_from_db()
    assert noticed.status == Notice.Status.SIGNED_OFF
    assert set(NavigationProject.objects.values_list("stage", flat=True)) == {Stage.AWARDED}


def _row(html: str, number: str) -> str:
    """The table row of the notice naming ``number``."""
    match = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(number)}.*?</tr>", html, re.S)
    assert match, number
    return match[0]


def test_an_upheld_objection_withdraws_its_project(noticed, scored):
    objection = _object(noticed, scored[1]["id"])
    city = web("reviewer-city")
    followed(
        city,
        city.post(
            f"/navigation/objections/{objection.pk}/resolve/",
            {"outcome": "upheld", "resolution": "经核查情况属实，撤销入选"},
        ),
    )
    project = NavigationProject.objects.get(pk=scored[1]["id"])
    assert project.stage == Stage.WITHDRAWN
    assert "撤销入选" in page(web("applicant").get(f"/portal/applications/{scored[1]['id']}/"))

    # the public notice shows it withdrawn (struck, labelled), without naming the objector
    url = f"/navigation/notices/{noticed.pk}/"
    for client in (Client(), web("applicant"), city):
        html = page(client.get(url))
        withdrawn = _row(html, scored[1]["number"])
        assert 'class="withdrawn"' in withdrawn and "已撤回（异议成立）" in withdrawn
        kept = _row(html, scored[0]["number"])
        assert "withdrawn" not in kept and "公示中" in kept
    html = page(Client().get(url))
    assert "李四" not in html and "li@example.com" not in html and "资质存疑" not in html
    # and it is no longer offered to object to, nor taken by a hand-made post
    assert f'<option value="{scored[1]["id"]}"' not in html
    assert f'<option value="{scored[0]["id"]}"' in html
    forged = {"name": "王五", "contact": "13800000000", "text": "再议", "project": scored[1]["id"]}
    r = Client().post(url, forged)
    assert r.status_code == 200 and "该项目已因异议成立撤回" in page(r)
    assert not Objection.objects.filter(name="王五").exists()


def test_the_public_objection_form_shows_errors_at_their_fields(noticed, scored):
    url = f"/navigation/notices/{noticed.pk}/"
    anyone = Client()
    typed = {"name": " ", "contact": "", "text": "合作机构资质存疑", "project": scored[0]["id"]}
    r = anyone.post(url, typed)
    assert r.status_code == 200
    html = page(r)
    assert 'id="err-o-name"' in html and 'id="err-o-contact"' in html
    assert "此项为必填项" in html and 'id="err-o-text"' not in html
    assert "合作机构资质存疑</textarea>" in html
    assert f'<option value="{scored[0]["id"]}" selected>' in html
    r = anyone.post(url, typed | {"name": "王五", "contact": "x" * 101, "project": "999999"})
    html = page(r)
    assert 'value="王五"' in html and 'id="err-o-project"' in html and 'id="err-o-contact"' in html
    for odd in ("²", "99999999999999999999", "abc"):  # hand-made: answered at the field
        r = anyone.post(url, typed | {"name": "王五", "contact": "13800000000", "project": odd})
        assert r.status_code == 200 and 'id="err-o-project"' in page(r), odd
    assert not Objection.objects.exists()
    # after the period the form is gone, and a late post is told so (no 500)
    with time_machine.travel(noticed.ends_at + dt.timedelta(hours=1), tick=False):
        r = anyone.post(url, typed | {"name": "王五", "contact": "13800000000"})
        assert r.status_code == 409 and "公示期已结束" in page(r)
    assert not Objection.objects.exists()


# ---------------------------------------------------------------- milestones


@pytest.fixture
def contracted(noticed, scored) -> dict:
    with time_machine.travel(noticed.ends_at + dt.timedelta(hours=1), tick=False):
        r = login("reviewer-region").post(f"/navigation/notices/{noticed.pk}/sign-off")
        assert r.status_code == 200, r.content
    return scored[0]


def test_the_applicant_reports_on_milestones_and_the_city_decides(contracted):
    app_id = contracted["id"]
    first, second, third = Milestone.objects.filter(contract__project_id=app_id).order_by(
        "position"
    )
    applicant = web("applicant")
    html = page(applicant.get(f"/portal/applications/{app_id}/"))
    assert "任务书与里程碑" in html and "中期报告" in html
    assert "¥160,000.00" in html and "¥120,000.00" in html
    assert first.due_on.isoformat() in html and "待报告" in html
    assert f'href="/navigation/milestones/{first.pk}/"' in html

    url = f"/navigation/milestones/{first.pk}/"
    assert "请先完成前序里程碑" in page(applicant.get(f"/navigation/milestones/{second.pk}/"))
    r = applicant.post(f"/navigation/milestones/{second.pk}/report/", {"report": "提前报告"})
    assert r.status_code == 409 and "前序里程碑" in page(r)
    r = applicant.post(f"{url}report/", {"report": "   "})
    assert r.status_code == 200 and 'id="err-report"' in page(r)
    html = followed(applicant, applicant.post(f"{url}report/", {"report": "完成产业专利数据检索"}))
    assert "已提交审核" in html and "完成产业专利数据检索" in html
    assert Milestone.objects.get(pk=first.pk).status == Milestone.Status.SUBMITTED

    # others: another applicant and a district outside the applicant's get 404
    other = stranger("someone-else")
    assert other.get(url).status_code == 404
    assert other.post(f"{url}report/", {"report": "x"}).status_code == 404
    assert web("reviewer-xinshi").get(url).status_code == 404
    # the district reviewer sees it but the milestone is the city's to decide
    tianshan = web("reviewer-tianshan")
    assert 'name="decision"' not in page(tianshan.get(url))
    r = tianshan.post(f"{url}decision/", {"decision": "approve"})
    assert r.status_code == 403 and "不属于您的审核层级" in page(r)

    city = web("reviewer-city")
    assert "1 份里程碑报告等待您审核" in page(city.get("/review/"))
    r = city.post(f"{url}decision/", {"comment": "材料齐全"})  # no radio chosen
    assert r.status_code == 200
    html = page(r)
    assert 'id="err-decision"' in html and "请选择审核结论" in html and "请使用" not in html
    assert "材料齐全</textarea>" in html
    assert Milestone.objects.get(pk=first.pk).status == Milestone.Status.SUBMITTED
    html = page(city.get("/navigation/milestones/"))
    assert contracted["number"] in html and f'href="{url}"' in html
    r = city.post(f"{url}decision/", {"decision": "return", "comment": ""})
    assert r.status_code == 200 and 'id="err-comment"' in page(r)
    followed(city, city.post(f"{url}decision/", {"decision": "return", "comment": "请补充检索式"}))
    assert Milestone.objects.get(pk=first.pk).status == Milestone.Status.RETURNED

    html = page(applicant.get(url))
    assert "请补充检索式" in html and "完成产业专利数据检索" in html  # the report, to revise
    followed(applicant, applicant.post(f"{url}report/", {"report": "已补充检索式"}))
    followed(city, city.post(f"{url}decision/", {"decision": "approve", "comment": ""}))
    first.refresh_from_db()
    assert first.status == Milestone.Status.ACCEPTED and first.tranche.status == "committed"
    assert contracted["number"] not in page(city.get("/navigation/milestones/"))
    html = page(applicant.get(f"/portal/applications/{app_id}/"))
    assert "已验收" in html and f'href="/navigation/milestones/{second.pk}/"' in html
    assert "里程碑报告已审核" in html  # on the timeline


def test_the_pages_switch_to_english(drawn):
    review = _first_review(drawn)
    expert = web(review.expert.user.username)
    expert.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = page(expert.get(f"/navigation/reviews/{review.pk}/"))
    assert 'lang="en"' in html and "Conflict of interest declaration" in html
    r = expert.post(f"/navigation/reviews/{review.pk}/declaration/", {})
    assert "Say whether you have a conflict of interest." in page(r)


def test_a_missing_decision_is_said_plainly_in_english_too(contracted):
    milestone = Milestone.objects.filter(contract__project_id=contracted["id"]).first()
    web("applicant").post(f"/navigation/milestones/{milestone.pk}/report/", {"report": "完成"})
    city = web("reviewer-city")
    city.post("/i18n/setlang/", {"language": "en", "next": "/"})
    r = city.post(f"/navigation/milestones/{milestone.pk}/decision/", {"decision": ""})
    assert r.status_code == 200 and "Choose a decision" in page(r)
    assert "Use approve or return" not in page(r)


def test_odd_input_is_answered_never_a_500(contracted):
    """Hand-made posts: unknown choices, text for numbers, missing fields, foreign ids."""
    milestone = Milestone.objects.filter(contract__project_id=contracted["id"]).first()
    city, applicant = web("reviewer-city"), web("applicant")
    checks = [
        (applicant, f"/navigation/milestones/{milestone.pk}/report/", {"report": "x" * 5000}),
        (city, f"/navigation/milestones/{milestone.pk}/decision/", {"decision": "maybe"}),
        (city, "/navigation/milestones/999999/decision/", {"decision": "approve"}),
        (city, "/navigation/navigation/ranking/", {"selected": ["1e9"], "comment": "x"}),
        (city, "/navigation/navigation/ranking/", {"selected": ["²"], "comment": "x"}),
        (city, "/navigation/objections/999999/resolve/", {"outcome": "dismissed"}),
        (city, f"/navigation/notices/{Notice.objects.get().pk}/sign-off/", {}),
        (applicant, "/navigation/reviews/999999/", {"score_base": "NaN"}),
        (applicant, "/navigation/projects/999999/partners/1/confirm/", {}),
        (applicant, f"/navigation/projects/{contracted['id']}/partners/999999/confirm/", {}),
    ]
    for client, url, data in checks:
        r = client.post(url, data)
        assert r.status_code in (200, 302, 403, 404, 409), (url, r.status_code)
        if r.status_code in (200, 403, 409):
            assert "field-error" in page(r) or "alert error" in page(r), url
