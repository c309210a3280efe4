import json

from django.test import Client

from grants.models import ApiToken


def test_token_for_demo_applicant_and_me_shows_roles(as_user):
    api = as_user("applicant")
    response = api.get("/me")
    assert response.status_code == 200
    assert response.json()["roles"] == ["applicant"]
    # only the token's hash is stored
    assert not ApiToken.objects.filter(key_hash=api.token).exists()


def test_wrong_password_is_401_problem(demo):
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "applicant", "password": "nope"}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_no_token_is_401_problem(demo):
    response = Client().get("/api/v1/applications")
    assert response.status_code == 401
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert set(body) >= {"type", "title", "status", "detail"}


def test_bad_token_is_401(demo):
    response = Client().get("/api/v1/programs", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401


def test_demo_password_refused_when_demo_logins_are_off(demo, settings):
    settings.FUNDFLOW_ALLOW_DEMO_LOGIN = False
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "admin", "password": "demo-pass-2026"}),
        content_type="application/json",
    )
    assert response.status_code == 401


def test_browser_session_works_for_the_api(demo):
    client = Client()
    assert client.login(username="applicant", password="demo-pass-2026")
    assert client.get("/api/v1/programs").status_code == 200


def test_health_needs_no_login_and_openapi_is_published(demo):
    client = Client()
    assert client.get("/api/v1/health").json()["ok"] is True
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/programs",
        "/api/v1/applications",
        "/api/v1/applications/{application_id}/submit",
        "/api/v1/organizations",
        "/api/v1/auth/token",
    ):
        assert path in paths
