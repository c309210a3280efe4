"""The letter downloads for whoever sees the application; anyone else gets 404."""

import pytest

from tests.support.claims import register_org
from tests.support.letters import approve_all

ALLOWED = [
    "applicant",
    "reviewer-tianshan",
    "reviewer-city",
    "reviewer-region",
    "finance",
    "auditor",
    "admin",
]
DENIED = ["reviewer-xinshi", "reviewer-midong", "other-applicant"]


@pytest.fixture
def awarded(as_user, submitted_app, django_capture_on_commit_callbacks):
    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    return submitted_app["id"]


def test_no_letter_before_issue_is_404(applicant, submitted_app):
    response = applicant.get(f"/applications/{submitted_app['id']}/letter")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("username", ALLOWED)
def test_who_sees_the_application_downloads_the_pdf(as_user, awarded, username):
    response = as_user(username).get(f"/applications/{awarded}/letter")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("username", DENIED)
def test_anyone_else_gets_404(as_user, awarded, username):
    if username == "other-applicant":
        from grants.models import Role, RoleAssignment, User

        user = User.objects.create_user(username, password="demo-pass-2026")
        RoleAssignment.objects.create(user=user, role=Role.APPLICANT)
        register_org(as_user(username), serial=77, name="另一家公司")
    response = as_user(username).get(f"/applications/{awarded}/letter")
    assert response.status_code == 404


def test_anonymous_is_401(awarded):
    from django.test import Client

    assert Client().get(f"/api/v1/applications/{awarded}/letter").status_code == 401
