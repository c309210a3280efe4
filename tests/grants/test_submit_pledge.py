"""The integrity pledge (诚信承诺): optional ``{pledge: true}`` on the API's submit records
it; the web form asks for it before submitting."""

from __future__ import annotations

from grants.models import Application, Pledge
from tests.support.claims import attach_required, create_cert_app, register_org
from tests.support.clients import web


def ready(applicant) -> dict:
    app = create_cert_app(applicant, register_org(applicant))
    attach_required(applicant, app["id"])
    return app


def test_submit_without_a_body_works_as_before_and_records_no_pledge(applicant):
    app = ready(applicant)
    assert applicant.post(f"/applications/{app['id']}/submit").status_code == 200
    assert not Pledge.objects.filter(application_id=app["id"]).exists()


def test_pledge_true_is_recorded_with_text_user_and_round(applicant):
    app = ready(applicant)
    response = applicant.post(f"/applications/{app['id']}/submit", {"pledge": True})
    assert response.status_code == 200, response.content
    pledge = Pledge.objects.get(application_id=app["id"])
    assert pledge.user.username == "applicant" and pledge.round == 1
    assert (
        "承诺" in pledge.text
        and pledge.text == Application.objects.get(pk=app["id"]).program.pledge_text
    )


def test_a_bad_pledge_body_is_refused(applicant):
    app = ready(applicant)
    assert applicant.post(f"/applications/{app['id']}/submit", {"pledge": "yes"}).status_code == 422
    assert applicant.post_raw(f"/applications/{app['id']}/submit", "{nope").status_code == 400
    assert applicant.post(f"/applications/{app['id']}/submit", [1]).status_code == 422
    assert Application.objects.get(pk=app["id"]).status == "draft"


def test_the_web_form_requires_the_pledge(applicant):
    app = ready(applicant)
    client = web("applicant")
    page = client.get(f"/portal/applications/{app['id']}/").content.decode()
    assert "诚信承诺" in page and 'name="pledge"' in page
    client.post(f"/portal/applications/{app['id']}/submit/")
    assert Application.objects.get(pk=app["id"]).status == "draft"
    client.post(f"/portal/applications/{app['id']}/submit/", {"pledge": "1"})
    assert Application.objects.get(pk=app["id"]).status == "in_review"
    assert Pledge.objects.filter(application_id=app["id"]).count() == 1


def test_a_submit_posted_as_an_empty_form_works_as_before(applicant):
    """Clients that post the submit without a JSON body (an empty multipart or form post)."""
    app = ready(applicant)
    response = applicant.client.post(f"/api/v1/applications/{app['id']}/submit", **applicant._h())
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_review"
