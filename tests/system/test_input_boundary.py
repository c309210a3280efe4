"""Bad input at the boundary: a clear 4xx naming the field, never a 500, nothing stored."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from grants.models import Organization
from tests.support.claims import register_org
from tests.support.documents import make_uscc


def _org(name: str, **extra) -> dict:
    return {
        "name": name,
        "uscc": make_uscc(77),
        "kind": "enterprise",
        "district": "650102",
        "is_sme": True,
        **extra,
    }


@pytest.mark.parametrize(
    "bad",
    ["乌鲁木齐\x00科技", "bell\x07", "lone \ud800 surrogate", "del\x7f", "c1\x85", "nonchar\uffff"],
)
def test_a_forbidden_character_in_a_json_text_is_422_at_its_field(applicant, bad):
    response = applicant.post("/organizations", _org(bad))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    assert not Organization.objects.filter(uscc=make_uscc(77)).exists()


def test_the_field_path_names_the_nested_value(applicant):
    org = register_org(applicant)
    response = applicant.post(
        "/applications",
        {
            "program": "cert-subsidy",
            "organization": org,
            "fields": {"certificate_number": "GB\x00"},
            "cost_lines": [
                {"kind": "certification_fee", "amount": "1.00", "reference": "ok"},
                {"kind": "certification_fee", "amount": "1.00", "reference": "x\x1b"},
            ],
        },
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["fields.certificate_number", "cost_lines[1].reference"]


def test_tab_and_line_breaks_are_ordinary_text(applicant):
    response = applicant.post("/organizations", _org("乌鲁木齐\t天山\r\n科技有限公司"))
    assert response.status_code == 201, response.content
    assert (
        Organization.objects.get(pk=response.json()["id"]).name == "乌鲁木齐\t天山\r\n科技有限公司"
    )


def test_nul_in_a_query_parameter_or_path_is_not_a_server_error(applicant):
    response = applicant.get("/applications", status="in\x00review")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "status"
    response = applicant.client.get(
        "/api/v1/programs/cert%00subsidy", HTTP_AUTHORIZATION=f"Bearer {applicant.token}"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_body_that_is_not_utf8_is_400(applicant):
    response = applicant.client.post(
        "/api/v1/organizations",
        b'{"name": "\xff\xfe"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {applicant.token}",
    )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:fundflow:problem:malformed"


def test_a_json_body_over_the_memory_limit_is_413_not_500(applicant, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    body = json.dumps(_org("x" * 200_000))
    response = applicant.post_raw("/organizations", body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("amount", ["1e10", "１０００.00", "1_000.00", "٣٠٠٠", "1,000.00", "-5.00"])
def test_money_is_ascii_digits_only(applicant, amount):
    org = register_org(applicant)
    response = applicant.post(
        "/applications",
        {
            "program": "cert-subsidy",
            "organization": org,
            "fields": {},
            "cost_lines": [{"kind": "certification_fee", "amount": amount, "reference": ""}],
        },
    )
    assert response.status_code == 422, (amount, response.content)
    assert response.json()["errors"][0]["field"] == "cost_lines[0].amount"


def test_an_anonymous_api_write_is_401_problem_json(demo):
    response = Client().post(
        "/api/v1/organizations", json.dumps(_org("无名")), content_type="application/json"
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_form_with_a_control_character_is_refused_in_words(demo):
    client = Client()
    client.login(username="applicant", password="demo-pass-2026")
    response = client.post(
        "/portal/organizations/new/",
        {"name": "坏\x00名", "uscc": make_uscc(78), "kind": "enterprise", "district": "650102"},
    )
    assert response.status_code == 400
    assert (
        "控制字符" in response.content.decode() or "control character" in response.content.decode()
    )
    assert not Organization.objects.filter(uscc=make_uscc(78)).exists()


def test_readiness_touches_the_database(db):
    response = Client().get("/api/v1/ready")
    assert response.status_code == 200 and response.json()["ok"] is True


def test_a_text_longer_than_its_column_is_422_at_its_field(applicant):
    response = applicant.post("/organizations", _org("长" * 300))
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "name"
    response = applicant.post("/organizations", _org("短", phone="1" * 100))
    assert response.status_code in (201, 422)  # the API may not take a phone; never a 500
    assert not Organization.objects.filter(name="长" * 300).exists()
