"""Applications move through their programme's chain; the chain is data, not code."""

from grants.models import Application, Program
from tests.support.claims import attach_required, create_cert_app, decide, register_org


def submit_new(applicant, org: int, certificate: str) -> dict:
    app = create_cert_app(applicant, org, certificate_number=certificate)
    attach_required(applicant, app["id"])
    response = applicant.post(f"/applications/{app['id']}/submit")
    assert response.status_code == 200, response.content
    return response.json()


def test_tianshan_claim_passes_district_city_region_and_ends_approved(as_user, submitted_app):
    app_id = submitted_app["id"]
    xinshi = as_user("reviewer-xinshi")
    assert xinshi.get(f"/applications/{app_id}").status_code == 404
    assert decide(xinshi, app_id, "approve").status_code == 404
    for reviewer, next_level in (
        ("reviewer-tianshan", "city"),
        ("reviewer-city", "region"),
        ("reviewer-region", None),
    ):
        response = decide(as_user(reviewer), app_id, "approve")
        assert response.status_code == 200, response.content
        assert response.json()["level"] == next_level
        assert xinshi.get("/applications").json()["count"] == 0
        assert xinshi.get("/tasks").json()["count"] == 0
    final = as_user("applicant").get(f"/applications/{app_id}").json()
    assert final["status"] == "approved"
    decisions = [
        (h["actor"], h["level"]) for h in final["history"] if h["action"] == "review.decision"
    ]
    assert decisions == [
        ("reviewer-tianshan", "district"),
        ("reviewer-city", "city"),
        ("reviewer-region", "region"),
    ]
    assert final["history"][-1]["action"] == "application.approved"


def test_return_at_city_then_resubmission_starts_again_at_district(
    as_user, applicant, submitted_app
):
    app_id = submitted_app["id"]
    assert decide(as_user("reviewer-tianshan"), app_id, "approve").status_code == 200
    city = as_user("reviewer-city")
    response = decide(city, app_id, "return", "请补充认证费付款凭证")
    assert response.status_code == 200
    assert response.json()["status"] == "returned"
    # the applicant answers the return and submits again
    fixed = applicant.patch(f"/applications/{app_id}", {"fields": submitted_app["fields"]})
    assert fixed.status_code == 200
    again = applicant.post(f"/applications/{app_id}/submit")
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["level"], again.json()["round"]) == (
        "in_review",
        "district",
        2,
    )
    # the district approval of round 1 no longer counts: the city cannot decide yet
    assert decide(city, app_id, "approve").status_code == 409
    assert city.get("/tasks").json()["count"] == 0
    assert decide(as_user("reviewer-tianshan"), app_id, "approve").status_code == 200
    assert decide(city, app_id, "approve").json()["level"] == "region"


def test_reject_is_final_and_needs_a_comment(as_user, applicant, submitted_app):
    app_id = submitted_app["id"]
    tianshan = as_user("reviewer-tianshan")
    missing = decide(tianshan, app_id, "reject")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "comment"
    assert decide(tianshan, app_id, "return").status_code == 422
    assert decide(tianshan, app_id, "maybe").status_code == 422
    assert Application.objects.get(pk=app_id).status == "in_review"
    response = decide(tianshan, app_id, "reject", "证书非认证机构颁发")
    assert response.json()["status"] == "rejected"
    assert applicant.post(f"/applications/{app_id}/submit").status_code == 409
    assert decide(tianshan, app_id, "approve").status_code == 409


def test_city_region_chain_configured_without_code(as_user, applicant):
    Program.objects.filter(code="cert-subsidy").update(levels=["city", "region"])
    app = submit_new(applicant, register_org(applicant), "CR-1")
    assert app["level"] == "city" and app["chain"] == ["city", "region"]
    assert as_user("reviewer-tianshan").get("/tasks").json()["count"] == 0
    assert decide(as_user("reviewer-tianshan"), app["id"], "approve").status_code == 409
    assert decide(as_user("reviewer-city"), app["id"], "approve").json()["level"] == "region"
    assert decide(as_user("reviewer-region"), app["id"], "approve").json()["status"] == "approved"


def test_region_only_chain(as_user, applicant):
    Program.objects.filter(code="cert-subsidy").update(levels=["region"])
    app = submit_new(applicant, register_org(applicant), "R-1")
    assert app["level"] == "region"
    assert decide(as_user("reviewer-region"), app["id"], "approve").json()["status"] == "approved"


def test_chain_change_affects_new_submissions_only(as_user, applicant):
    org = register_org(applicant)
    in_flight = submit_new(applicant, org, "OLD-1")
    Program.objects.filter(code="cert-subsidy").update(levels=["region"])
    fresh = submit_new(applicant, org, "NEW-1")
    assert fresh["chain"] == ["region"]
    assert (
        decide(as_user("reviewer-tianshan"), in_flight["id"], "approve").json()["level"] == "city"
    )
    assert decide(as_user("reviewer-city"), in_flight["id"], "approve").json()["level"] == "region"
    assert (
        decide(as_user("reviewer-region"), in_flight["id"], "approve").json()["status"]
        == "approved"
    )


def test_task_queue_shows_work_for_the_level_and_jurisdiction(as_user, submitted_app):
    tianshan = as_user("reviewer-tianshan").get("/tasks").json()
    assert [t["application"] for t in tianshan["results"]] == [submitted_app["id"]]
    task = tianshan["results"][0]
    assert task["level"] == "district" and task["overdue"] is False and task["deadline"]
    assert as_user("reviewer-city").get("/tasks").json()["count"] == 0
    assert as_user("applicant").get("/tasks").status_code == 403


def test_a_stale_task_id_is_409(as_user, submitted_app):
    app_id = submitted_app["id"]
    tianshan = as_user("reviewer-tianshan")
    task_id = tianshan.get("/tasks").json()["results"][0]["id"]
    assert decide(tianshan, app_id, "approve", task=task_id).status_code == 200
    # the city reviewer's page was opened on the old task: refused, not applied to the new one
    assert decide(as_user("reviewer-city"), app_id, "approve", task=task_id).status_code == 409
    assert Application.objects.get(pk=app_id).level == "city"


def test_a_decision_answers_compactly_when_the_client_prefers_it(as_user, submitted_app):
    tianshan = as_user("reviewer-tianshan")
    response = tianshan.client.post(
        f"/api/v1/applications/{submitted_app['id']}/decisions",
        '{"decision": "approve"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tianshan.token}",
        HTTP_PREFER="return=minimal",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"id": submitted_app["id"], "status": "in_review", "level": "city"}
    assert response["Preference-Applied"] == "return=minimal"
    # without the header: the application as GET returns it (the contract's default)
    city = as_user("reviewer-city").post(
        f"/applications/{submitted_app['id']}/decisions", {"decision": "approve"}
    )
    assert city.status_code == 200 and city.json()["number"] == submitted_app["number"]
    assert city.json()["level"] == "region" and "history" in city.json()


def test_a_submission_answers_compactly_when_the_client_prefers_it(applicant):
    app = create_cert_app(applicant, register_org(applicant))
    attach_required(applicant, app["id"])
    response = applicant.client.post(
        f"/api/v1/applications/{app['id']}/submit",
        "",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {applicant.token}",
        HTTP_PREFER="return=minimal",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"id": app["id"], "status": "in_review", "level": "district"}
    assert response["Preference-Applied"] == "return=minimal"
    assert Application.objects.get(pk=app["id"]).status == "in_review"
