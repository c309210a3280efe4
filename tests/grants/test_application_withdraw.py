"""POST /applications/{id}/withdraw: before a final decision, final, tasks cancelled,
the certificate free again; refused (409) in every state after a final decision."""

from __future__ import annotations

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from grants.models import Application, AuditEntry, CertificateClaim, Status
from tests.support.claims import attach_required, create_cert_app, decide
from tests.support.clients import login
from tests.support.personas import CITY_REVIEWER, DISTRICT_REVIEWER, REGION_REVIEWER


def withdraw(api, app_id: int, reason: str = "项目已取消，撤回申请"):
    return api.post(f"/applications/{app_id}/withdraw", {"reason": reason})


def test_a_claim_in_review_is_withdrawn_its_task_cancelled_and_certificate_free(
    applicant, submitted_app
):
    app_id = submitted_app["id"]
    open_tasks = Task.objects.filter(
        process__reviewprocess__application_id=app_id, status__in=(STATUS.NEW, STATUS.ASSIGNED)
    )
    assert open_tasks.count() == 1
    response = withdraw(applicant, app_id)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "withdrawn" and body["level"] is None
    assert open_tasks.count() == 0
    assert not CertificateClaim.objects.filter(application_id=app_id, active=True).exists()
    entry = AuditEntry.objects.get(application_id=app_id, action="application.withdraw")
    assert entry.comment == "项目已取消，撤回申请" and entry.to_status == Status.WITHDRAWN
    # the reviewer has nothing left to decide
    assert login(DISTRICT_REVIEWER).get("/tasks").json()["count"] == 0
    assert decide(login(DISTRICT_REVIEWER), app_id, "approve").status_code == 409
    # final: no second withdrawal, no edit, no submit
    assert withdraw(applicant, app_id).status_code == 409
    assert applicant.patch(f"/applications/{app_id}", {"fields": {}}).status_code == 409
    assert applicant.post(f"/applications/{app_id}/submit").status_code == 409
    # the same certificate may be claimed again by a new application
    org = Application.objects.get(pk=app_id).organization_id
    again = create_cert_app(applicant, org)
    attach_required(applicant, again["id"])
    assert applicant.post(f"/applications/{again['id']}/submit").status_code == 200


def test_a_draft_and_a_returned_claim_can_be_withdrawn(applicant, submitted_app):
    draft = create_cert_app(applicant, submitted_app["organization"], certificate_number="C-2")
    assert withdraw(applicant, draft["id"]).json()["status"] == "withdrawn"
    decide(login(DISTRICT_REVIEWER), submitted_app["id"], "return", "请补充发票")
    assert withdraw(applicant, submitted_app["id"]).json()["status"] == "withdrawn"


def test_a_reason_is_required(applicant, submitted_app):
    response = withdraw(applicant, submitted_app["id"], reason="  ")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    assert applicant.post(f"/applications/{submitted_app['id']}/withdraw", {}).status_code == 422


@pytest.mark.parametrize("final", ["rejected", "approved", "awarded", "paid"])
def test_refused_after_a_final_decision(applicant, submitted_app, final):
    app_id = submitted_app["id"]
    if final == "rejected":
        decide(login(DISTRICT_REVIEWER), app_id, "reject", "不符合条件")
    else:
        for reviewer in (DISTRICT_REVIEWER, CITY_REVIEWER, REGION_REVIEWER):
            assert decide(login(reviewer), app_id, "approve").status_code == 200
        if final != "approved":  # the states after approval, as the letter and payment set them
            Application.objects.filter(pk=app_id).update(status=final)
    before = Application.objects.get(pk=app_id).status
    response = withdraw(applicant, app_id)
    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Application.objects.get(pk=app_id).status == before


def test_only_the_applicant_withdraws(submitted_app, demo):
    reviewer = login(DISTRICT_REVIEWER)
    assert withdraw(reviewer, submitted_app["id"]).status_code == 403
    assert withdraw(login("reviewer-xinshi"), submitted_app["id"]).status_code == 404


def test_withdrawn_is_in_the_openapi_document(demo):
    from config.api import api

    schema = api.get_openapi_schema()
    operation = schema["paths"]["/api/v1/applications/{application_id}/withdraw"]["post"]
    assert {"200", "403", "404", "409", "422"} <= {str(c) for c in operation["responses"]}
