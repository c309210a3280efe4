"""One selector decides who sees what; every endpoint answers 404 for what a caller may not see."""

from tests.support.claims import create_cert_app, register_org
from tests.support.documents import PDF


def test_other_applicant_cannot_read_or_change_the_application(
    as_user, submitted_app, django_user_model
):
    from grants.models import Role, RoleAssignment

    stranger = django_user_model.objects.create_user("stranger", password="demo-pass-2026")
    RoleAssignment.objects.create(user=stranger, role=Role.APPLICANT)
    other = as_user("stranger")
    app_id = submitted_app["id"]
    assert other.get(f"/applications/{app_id}").status_code == 404
    assert other.patch(f"/applications/{app_id}", {"fields": {}}).status_code == 404
    assert other.post(f"/applications/{app_id}/submit").status_code == 404
    assert (
        other.upload(f"/applications/{app_id}/attachments", "a.pdf", PDF, "invoice").status_code
        == 404
    )
    attachment = submitted_app["attachments"][0]["id"]
    assert other.get(f"/applications/{app_id}/attachments/{attachment}").status_code == 404
    assert other.get("/applications").json()["count"] == 0


def test_draft_of_another_applicant_is_invisible_too(as_user, applicant, django_user_model):
    from grants.models import Role, RoleAssignment

    app = create_cert_app(applicant, register_org(applicant))
    stranger = django_user_model.objects.create_user("stranger", password="demo-pass-2026")
    RoleAssignment.objects.create(user=stranger, role=Role.APPLICANT)
    assert as_user("stranger").get(f"/applications/{app['id']}").status_code == 404


def test_district_reviewer_sees_only_own_district(as_user, submitted_app):
    app_id = submitted_app["id"]
    tianshan = as_user("reviewer-tianshan")
    assert tianshan.get(f"/applications/{app_id}").status_code == 200
    assert tianshan.get("/applications").json()["count"] == 1
    xinshi = as_user("reviewer-xinshi")
    assert xinshi.get(f"/applications/{app_id}").status_code == 404
    assert xinshi.get("/applications").json()["count"] == 0
    assert xinshi.get("/applications", district="650102").json()["count"] == 0


def test_city_region_finance_and_auditor_see_it(as_user, submitted_app):
    for username in ("reviewer-city", "reviewer-region", "finance", "auditor"):
        assert as_user(username).get(f"/applications/{submitted_app['id']}").status_code == 200, (
            username
        )


def test_reviewer_who_sees_it_may_not_change_it(as_user, submitted_app):
    response = as_user("reviewer-tianshan").patch(
        f"/applications/{submitted_app['id']}", {"fields": {}}
    )
    assert response.status_code == 403


def test_reviewers_do_not_see_unsubmitted_drafts(as_user, applicant):
    app = create_cert_app(applicant, register_org(applicant))
    assert as_user("reviewer-tianshan").get(f"/applications/{app['id']}").status_code == 404
    assert as_user("reviewer-city").get("/applications").json()["count"] == 0


def test_web_detail_page_uses_the_same_selector(client, submitted_app):
    assert client.login(username="reviewer-xinshi", password="demo-pass-2026")
    assert client.get(f"/applications/{submitted_app['id']}/").status_code == 404
    client.logout()
    assert client.login(username="reviewer-tianshan", password="demo-pass-2026")
    page = client.get(f"/applications/{submitted_app['id']}/")
    assert page.status_code == 200
    assert submitted_app["number"] in page.content.decode()
