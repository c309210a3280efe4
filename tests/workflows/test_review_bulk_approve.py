"""Bulk approval from the inbox: only tasks whose checks all pass, each decided and audited on its own."""

from __future__ import annotations

from grants.audit import AuditEntry
from grants.models import Application
from rules.models import Evaluation
from tests.support.claims import attach_required, create_cert_app, register_org
from tests.support.clients import web
from tests.support.pages import open_task_id


def _second_claim(applicant) -> dict:
    org = register_org(applicant, serial=2, name="乌鲁木齐天山第二科技有限公司")
    app = create_cert_app(applicant, org, certificate_number="GB29490-2026-0102")
    attach_required(applicant, app["id"])
    assert applicant.post(f"/applications/{app['id']}/submit").status_code == 200
    return app


def test_inbox_offers_bulk_approval_only_where_every_check_passes(submitted_app, applicant):
    second = _second_claim(applicant)
    # The second claim's latest evaluation has a check for manual review: not offered.
    evaluation = Evaluation.objects.filter(application_id=second["id"]).latest("id")
    evaluation.checks[0]["passed"] = None
    evaluation.save(update_fields=["checks"])
    rows = web("reviewer-tianshan").get("/review/").context["rows"]
    offered = {r["app"].pk: r["checks_pass"] for r in rows}
    assert offered == {submitted_app["id"]: True, second["id"]: False}


def test_bulk_approve_reports_each_item(submitted_app, applicant):
    second = _second_claim(applicant)
    Evaluation.objects.filter(application_id=second["id"]).update(checks=[])  # never offered
    client = web("reviewer-tianshan")
    ok_task = open_task_id("reviewer-tianshan", submitted_app["id"])
    other_task = open_task_id("reviewer-tianshan", second["id"])
    response = client.post(
        "/review/bulk-approve/", {"tasks": [str(ok_task), str(other_task), "999999"]}
    )
    assert response.status_code == 200
    results = response.context["results"]
    assert [r["ok"] for r in results] == [True, False, False]
    assert results[1]["number"] == second["number"] and results[1]["message"]
    assert Application.objects.get(pk=submitted_app["id"]).level == "city"
    assert Application.objects.get(pk=second["id"]).level == "district"
    assert (
        AuditEntry.objects.filter(
            action="review.decision", application_id=submitted_app["id"]
        ).count()
        == 1
    )
    # Approving the same task again: already decided, reported, nothing changes.
    again = client.post("/review/bulk-approve/", {"tasks": [str(ok_task)]})
    assert [r["ok"] for r in again.context["results"]] == [False]


def test_bulk_approve_is_for_reviewers_only(submitted_app):
    assert web("applicant").post("/review/bulk-approve/", {"tasks": ["1"]}).status_code == 403
