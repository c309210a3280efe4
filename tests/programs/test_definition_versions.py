"""Maker–checker: before a programme's first application one administrator sets it up; after
it, a change (rules included) is a draft that a second administrator approves after reading its
diff; applications keep the version they were submitted under. Clone gives next year's."""

from __future__ import annotations

import copy

import pytest

from grants.models import Program, Role, RoleAssignment, User
from programs.models import ProgramVersion
from programs.versions import version_of
from rules.models import RuleSetVersion
from rules.services import NeedsDefinitionDraft, ruleset_activate, ruleset_new_draft
from tests.support.clients import login
from tests.support.personas import ADMIN, APPLICANT
from tests.support.programs import claim, insurance_definition, insurance_fields


def second_admin() -> None:
    user = User.objects.create_user("admin-2", password="demo-pass-2026", is_staff=True)
    RoleAssignment.objects.create(user=user, role=Role.ADMIN)


def test_before_any_application_one_administrator_changes_the_definition(demo):
    admin = login(ADMIN)
    document = admin.post("/programs", insurance_definition()).json()
    changed = copy.deepcopy(document)
    changed["cap"] = "60000.00"
    response = admin.post(
        "/programs/ip-insurance/drafts", {"definition": changed, "note": "提高上限"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "active"  # applied at once: nobody applied yet
    assert Program.objects.get(code="ip-insurance").cap == 60000


def test_after_the_first_application_a_second_administrator_approves_the_draft(demo):
    second_admin()
    admin = login(ADMIN)
    document = admin.post("/programs", insurance_definition()).json()
    applicant = login(APPLICANT)
    first = claim(
        applicant,
        "ip-insurance",
        fields=insurance_fields(),
        cost_lines=[{"kind": "premium", "amount": "20000.00", "reference": "发票"}],
        attachments=["policy", "premium_invoice"],
        serial=7101,
    )
    v1 = ProgramVersion.objects.get(program__code="ip-insurance", state="active")
    assert (
        version_of(Program.objects.get(code="ip-insurance").applications.get(pk=first["id"])) == v1
    )

    changed = copy.deepcopy(document)
    changed["fields"][1]["label"] = "承保保险公司"
    changed["rule_set"]["tables"][4]["rows"][2]["set"]["award_fen"] = "cost.counted_fen * 0.5"
    changed["rule_set"]["test_cases"][0]["expect"]["award_fen"] = 1000000
    draft = admin.post(
        "/programs/ip-insurance/drafts", {"definition": changed, "note": "补贴比例改为 50%"}
    )
    assert draft.status_code == 201, draft.content
    body = draft.json()
    assert body["state"] == "draft" and body["based_on"] == v1.number
    paths = {c["path"] for c in body["changes"]}
    assert paths == {
        "fields[1].label",
        "rule_set.tables[4].rows[2].set.award_fen",
        "rule_set.test_cases[0].expect.award_fen",
    }
    # nothing changed yet, and the author cannot approve their own draft
    assert Program.objects.get(code="ip-insurance").fields.get(name="insurer").label == "承保机构"
    number = body["number"]
    assert admin.post(f"/programs/ip-insurance/drafts/{number}/approve").status_code == 403
    assert (
        login(APPLICANT).post(f"/programs/ip-insurance/drafts/{number}/approve").status_code == 403
    )
    approved = login("admin-2").post(f"/programs/ip-insurance/drafts/{number}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "active" and approved.json()["decided_by"] == "admin-2"
    program = Program.objects.get(code="ip-insurance")
    assert program.fields.get(name="insurer").label == "承保保险公司"
    assert program.rule_sets.filter(state="active").count() == 2

    later = claim(
        applicant,
        "ip-insurance",
        fields=insurance_fields(),
        cost_lines=[{"kind": "premium", "amount": "20000.00", "reference": "发票"}],
        attachments=["policy", "premium_invoice"],
        serial=7102,
    )
    assert (first["award_amount"], later["award_amount"]) == ("12000.00", "10000.00")
    apps = program.applications
    assert version_of(apps.get(pk=first["id"])).number == v1.number  # kept
    assert version_of(apps.get(pk=later["id"])).number == number
    old = admin.get(f"/programs/ip-insurance/definition?version={v1.number}").json()
    assert old["fields"][1]["label"] == "承保机构"
    states = [v["state"] for v in admin.get("/programs/ip-insurance/versions").json()]
    assert states == ["active", "superseded"]


def test_a_live_programmes_rules_change_only_through_an_approved_draft(demo, applicant):
    from tests.support.claims import submit_cert_claim

    submit_cert_claim(applicant)
    program = Program.objects.get(code="cert-subsidy")
    admin = User.objects.get(username="admin")
    draft = ruleset_new_draft(program=program, actor=admin)
    with pytest.raises(NeedsDefinitionDraft):
        ruleset_activate(version=draft, actor=admin)
    assert RuleSetVersion.objects.get(pk=draft.pk).state == "draft"


def test_a_rejected_draft_changes_nothing(demo):
    second_admin()
    admin = login(ADMIN)
    document = admin.post("/programs", insurance_definition()).json()
    claim(
        login(APPLICANT),
        "ip-insurance",
        fields=insurance_fields(),
        cost_lines=[{"kind": "premium", "amount": "20000.00", "reference": "发票"}],
        attachments=["policy", "premium_invoice"],
        serial=7103,
    )
    changed = copy.deepcopy(document)
    changed["cap"] = "1.00"
    number = admin.post("/programs/ip-insurance/drafts", {"definition": changed}).json()["number"]
    rejected = login("admin-2").post(
        f"/programs/ip-insurance/drafts/{number}/reject", {"reason": "上限过低"}
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert Program.objects.get(code="ip-insurance").cap == 50000


def test_clone_gives_next_years_programme_without_budgets(demo):
    admin = login(ADMIN)
    source = admin.get("/programs/cert-subsidy/definition").json()
    year = source["year"] + 1
    response = admin.post(
        "/programs/cert-subsidy/clone",
        {
            "code": f"cert-subsidy-{year}",
            "year": year,
            "opens": f"{year}-01-01T00:00:00+06:00",
            "closes": f"{year}-12-31T23:59:59+06:00",
        },
    )
    assert response.status_code == 201, response.content
    clone = response.json()
    program = Program.objects.get(code=f"cert-subsidy-{year}")
    assert program.year == year and not program.budgets.exists()
    assert program.rule_sets.get(state="active").content["tables"] == source["rule_set"]["tables"]
    # the same programme, for another year: only the code, year, window and dated test cases move
    for key in ("fields", "cost_line_kinds", "attachment_kinds", "letters", "steps", "levels"):
        assert clone[key] == source[key], key
    first_case = clone["rule_set"]["test_cases"][0]["facts"]["submitted_on"]
    assert first_case == source["rule_set"]["test_cases"][0]["facts"]["submitted_on"].replace(
        str(year - 1), str(year)
    )
    taken = admin.post(
        "/programs/cert-subsidy/clone",
        {
            "code": f"cert-subsidy-{year}",
            "year": year,
            "opens": f"{year}-01-01T00:00:00+06:00",
            "closes": f"{year}-12-31T23:59:59+06:00",
        },
    )
    assert taken.status_code == 409
    assert (
        login(APPLICANT)
        .post(
            "/programs/cert-subsidy/clone",
            {"code": "x", "year": year, "opens": "x", "closes": "y"},
        )
        .status_code
        == 403
    )
