"""Submitting claims judged by the rule set in force; what the API shows."""

import threading

import pytest
from django.db import connection, connections

from grants.models import Application, Program
from rules.models import Evaluation, RuleSetVersion
from tests.support.claims import attach_required, create_cert_app, register_org


def submit(api, org, **kwargs):
    app = create_cert_app(api, org, **kwargs)
    attach_required(api, app["id"])
    return api.post(f"/applications/{app['id']}/submit")


def test_35000_fee_and_8000_consulting_under_a_30000_cap(applicant):
    Program.objects.filter(code="cert-subsidy").update(cap="30000.00")
    response = submit(applicant, register_org(applicant), cert_fee="35000.00", consulting="8000.00")
    assert response.status_code == 200
    body = response.json()
    assert body["award_amount"] == "30000.00"
    award = next(c for c in body["checks"] if c["rule"] == "award_amount")
    assert (
        award["reasons"]["zh-hans"]
        == "认证费 ¥35,000.00 超过上限 ¥30,000.00，按上限核定；其他费用 ¥8,000.00 不计入"
    )
    assert award["reasons"]["en"].startswith(
        "Certification fee ¥35,000.00 exceeds the cap ¥30,000.00"
    )
    assert award["reason"] == award["reasons"]["zh-hans"]
    assert award["version"] == "v1" and body["rule_set_version"] == "v1"
    english = applicant.client.get(
        f"/api/v1/applications/{body['id']}",
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_AUTHORIZATION=f"Bearer {applicant.token}",
    ).json()
    assert (
        next(c for c in english["checks"] if c["rule"] == "award_amount")["reason"]
        == award["reasons"]["en"]
    )


def test_second_claim_of_the_same_certificate_is_blocked_naming_the_first(applicant):
    org = register_org(applicant)
    first = submit(applicant, org, certificate_number="GB29490-2026-0042").json()
    second = submit(applicant, org, certificate_number=" gb29490-2026-0042 ")
    assert second.status_code == 422
    failing = {c["rule"]: c for c in second.json()["checks"] if c["passed"] is False}
    assert set(failing) == {"certificate_not_claimed"}
    assert first["number"] in failing["certificate_not_claimed"]["reasons"]["zh-hans"]
    assert first["number"] in failing["certificate_not_claimed"]["reasons"]["en"]


def test_a_rejected_claim_frees_the_certificate(applicant, as_user):
    from tests.support.claims import decide

    org = register_org(applicant)
    first = submit(applicant, org, certificate_number="FREE-1").json()
    decide(as_user("reviewer-tianshan"), first["id"], "reject", "材料不实")
    assert submit(applicant, org, certificate_number="FREE-1").status_code == 200


def test_application_is_judged_by_the_version_in_force_at_submission(applicant, django_user_model):
    from grants.models import Role, RoleAssignment
    from programs.definition import definition_export
    from programs.versions import draft_approve, draft_propose

    admin = django_user_model.objects.get(username="admin")
    checker = django_user_model.objects.create_user("admin-2", password="x", is_staff=True)
    RoleAssignment.objects.create(user=checker, role=Role.ADMIN)
    program = Program.objects.get(code="cert-subsidy")
    org = register_org(applicant)
    old = submit(applicant, org, certificate_number="V-1").json()
    # the programme has applications: its rules change through a definition draft that a
    # second administrator approves (maker–checker)
    document = definition_export(program)
    document["rule_set"]["tables"][8]["severity"] = "block"  # over-budget becomes blocking in v2
    draft = draft_propose(actor=admin, program=program, document=document, note="超预算阻断")
    draft_approve(actor=checker, version=draft)
    v2 = program.rule_sets.order_by("-number").first()
    assert v2 is not None and v2.number == 2 and len(v2.sha256) == 64
    new = submit(applicant, org, certificate_number="V-2").json()
    assert (old["rule_set_version"], new["rule_set_version"]) == ("v1", "v2")
    assert applicant.get("/programs/cert-subsidy").json()["rule_set"] == {
        "version": "v2",
        "sha256": v2.sha256,
    }
    with pytest.raises(RuntimeError):  # an activated version is immutable
        v2.content["tables"] = []
        v2.save()


def test_reviewer_recheck_keeps_both_results(as_user, submitted_app):
    reviewer = as_user("reviewer-tianshan")
    response = reviewer.post(f"/applications/{submitted_app['id']}/checks")
    assert response.status_code == 201 and response.json()["purpose"] == "recheck"
    history = reviewer.get(f"/applications/{submitted_app['id']}/evaluations").json()
    assert [e["purpose"] for e in history] == ["recheck", "submit"]
    assert all(e["rule_set_version"] == "v1" for e in history)
    assert (
        as_user("reviewer-xinshi").post(f"/applications/{submitted_app['id']}/checks").status_code
        == 404
    )


def test_applicant_previews_checks_before_submitting(applicant):
    app = create_cert_app(applicant, register_org(applicant))
    preview = applicant.post(f"/applications/{app['id']}/checks").json()
    assert preview["purpose"] == "preview" and preview["award_amount"] == "35000.00"
    failing = [c["rule"] for c in preview["checks"] if c["passed"] is False]
    assert failing == ["required_documents"]  # attachments not uploaded yet
    assert Evaluation.objects.filter(application_id=app["id"]).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_one_certificate_land_once(demo, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks are a PostgreSQL property; CI and `make test` run this on PostgreSQL"
        )

    from grants.errors import DomainError
    from grants.models import User
    from tests.support.factories import DraftApplicationFactory, OrganizationFactory
    from workflows.lifecycle import submit as application_submit

    settings.MEDIA_ROOT = tmp_path
    user = User.objects.get(username="applicant")
    apps = []
    for serial in (61, 62):
        org = OrganizationFactory(name=f"并发{serial}", members=[user])
        apps.append(DraftApplicationFactory(organization=org, tag="SAME-CERT", fee="1000.00"))
    barrier = threading.Barrier(2)
    outcomes = []

    def go(app):
        try:
            barrier.wait()
            application_submit(actor=user, application=app)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == ["409", "ok"] or sorted(map(str, outcomes)) == [
        "422",
        "ok",
    ]
    assert Application.objects.filter(status="in_review").count() == 1
    assert RuleSetVersion.objects.filter(program__code="cert-subsidy", state="active").count() == 1
