import datetime as dt

from django.utils import timezone

from grants.models import Application, AuditEntry, Program
from rules.models import Evaluation
from tests.support.claims import attach_required, create_cert_app, register_org


def test_submit_moves_to_first_level_with_checks_and_award(submitted_app):
    app = submitted_app
    assert app["status"] == "in_review"
    assert app["level"] == "district"
    assert app["chain"] == ["district", "city", "region"]
    assert app["award_amount"] == "35000.00"  # consulting fee 8,000.00 never counts
    rules = {c["rule"]: c for c in app["checks"]}
    assert rules["award_amount"]["passed"] is True
    assert "35,000.00" in rules["award_amount"]["reasons"]["zh-hans"]
    assert "8,000.00" in rules["award_amount"]["reasons"]["en"]
    assert all(set(c) >= {"rule", "version", "passed", "severity", "reason"} for c in app["checks"])
    actions = [h["action"] for h in app["history"]]
    assert actions[-2:] == ["application.submit", "review.task_created"]
    assert app["history"][-2]["to"] == "in_review" and app["history"][-1]["level"] == "district"


def test_award_is_capped(applicant):
    org = register_org(applicant)
    app = create_cert_app(applicant, org, cert_fee="60000.00", consulting=None)
    attach_required(applicant, app["id"])
    body = applicant.post(f"/applications/{app['id']}/submit").json()
    assert body["award_amount"] == "50000.00"


def test_missing_attachment_blocks_with_checks_and_changes_nothing(applicant):
    org = register_org(applicant)
    app = create_cert_app(applicant, org)
    before = (AuditEntry.objects.count(), Evaluation.objects.count())
    response = applicant.post(f"/applications/{app['id']}/submit")
    assert response.status_code == 422
    body = response.json()
    failing = [c for c in body["checks"] if not c["passed"]]
    assert [c["rule"] for c in failing] == ["required_documents"]
    assert "认证证书" in failing[0]["reasons"]["zh-hans"]
    assert Application.objects.get(pk=app["id"]).status == "draft"
    assert (AuditEntry.objects.count(), Evaluation.objects.count()) == before


def test_only_consulting_fees_block_submission(applicant):
    org = register_org(applicant)
    response = applicant.post(
        "/applications",
        {
            "program": "cert-subsidy",
            "organization": org,
            "fields": create_cert_app(applicant, org)["fields"],
            "cost_lines": [{"kind": "consulting_fee", "amount": "9000.00"}],
        },
    )
    app_id = response.json()["id"]
    attach_required(applicant, app_id)
    result = applicant.post(f"/applications/{app_id}/submit")
    assert result.status_code == 422
    assert {c["rule"] for c in result.json()["checks"] if not c["passed"]} == {"award_amount"}


def test_submit_after_the_window_closed_is_422_and_nothing_changes(applicant):
    org = register_org(applicant)
    app = create_cert_app(applicant, org)
    attach_required(applicant, app["id"])
    Program.objects.filter(code="cert-subsidy").update(
        opens=timezone.now() - dt.timedelta(days=30), closes=timezone.now() - dt.timedelta(days=1)
    )
    before = AuditEntry.objects.count()
    response = applicant.post(f"/applications/{app['id']}/submit")
    assert response.status_code == 422
    assert response.json()["type"].endswith("window-closed")
    assert Application.objects.get(pk=app["id"]).status == "draft"
    assert AuditEntry.objects.count() == before


def test_second_submit_is_409(applicant, submitted_app):
    response = applicant.post(f"/applications/{submitted_app['id']}/submit")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"


def test_patch_after_submission_is_409(applicant, submitted_app):
    response = applicant.patch(f"/applications/{submitted_app['id']}", {"fields": {}})
    assert response.status_code == 409


def test_missing_required_field_blocks_submission_naming_it(applicant):
    org = register_org(applicant)
    app = create_cert_app(applicant, org)
    # a merge patch (RFC 7396): null removes the key, the others stay
    applicant.patch(f"/applications/{app['id']}", {"fields": {"certificate_number": None}})
    attach_required(applicant, app["id"])
    response = applicant.post(f"/applications/{app['id']}/submit")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "fields.certificate_number"
