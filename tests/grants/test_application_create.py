from grants.models import Application, AuditEntry, CostLine
from tests.support.claims import create_cert_app, register_org
from tests.support.documents import cert_fields


def counts():
    return Application.objects.count(), CostLine.objects.count(), AuditEntry.objects.count()


def test_create_draft_with_cost_lines_gets_a_number(applicant):
    org = register_org(applicant)
    app = create_cert_app(applicant, org)
    assert app["status"] == "draft"
    assert app["number"].startswith("CS-") and len(app["number"]) == len("CS-2026-000001")
    assert app["cost_lines"] == [
        {"kind": "certification_fee", "amount": "35000.00", "reference": "发票 No.0001"},
        {"kind": "consulting_fee", "amount": "8000.00", "reference": "发票 No.0002"},
    ]
    second = create_cert_app(applicant, org, certificate_number="X-2")
    assert int(second["number"][-6:]) == int(app["number"][-6:]) + 1
    assert [h["action"] for h in app["history"]] == ["application.create"]


def test_float_amount_is_422_on_the_line_and_nothing_is_written(applicant):
    org = register_org(applicant)
    before = counts()
    response = applicant.post(
        "/applications",
        {
            "program": "cert-subsidy",
            "organization": org,
            "fields": cert_fields(),
            "cost_lines": [
                {"kind": "certification_fee", "amount": "100.00"},
                {"kind": "certification_fee", "amount": 35000.5},
            ],
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "cost_lines[1].amount"
    assert counts() == before


def test_amount_with_three_decimals_or_negative_is_refused(applicant):
    org = register_org(applicant)
    for amount in ("1.005", "-1.00", "abc", "NaN"):
        response = applicant.post(
            "/applications",
            {
                "program": "cert-subsidy",
                "organization": org,
                "cost_lines": [{"kind": "certification_fee", "amount": amount}],
            },
        )
        assert response.status_code == 422, amount
        assert response.json()["errors"][0]["field"] == "cost_lines[0].amount"


def test_unknown_programme_is_422_on_field_program(applicant):
    org = register_org(applicant)
    before = counts()
    response = applicant.post(
        "/applications", {"program": "no-such-programme", "organization": org}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["program"]
    assert counts() == before


def test_unknown_field_wrong_choice_and_bad_date_are_named(applicant):
    org = register_org(applicant)
    fields = cert_fields() | {"standard": "ISO 9001", "certified_on": "2026-02-30", "colour": "red"}
    response = applicant.post(
        "/applications", {"program": "cert-subsidy", "organization": org, "fields": fields}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "fields.standard",
        "fields.certified_on",
        "fields.colour",
    }


def test_unknown_cost_line_kind_is_refused(applicant):
    org = register_org(applicant)
    response = applicant.post(
        "/applications",
        {
            "program": "cert-subsidy",
            "organization": org,
            "cost_lines": [{"kind": "travel", "amount": "1.00"}],
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cost_lines[0].kind"


def test_cannot_create_for_an_organisation_one_does_not_act_for(applicant, as_user):
    org = register_org(applicant)
    reviewer = as_user("reviewer-tianshan")
    response = reviewer.post("/applications", {"program": "cert-subsidy", "organization": org})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "organization"


def test_malformed_json_is_400_problem(applicant):
    response = applicant.post_raw("/applications", '{"program": ')
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_patch_while_draft_replaces_lines_and_audits(applicant):
    org = register_org(applicant)
    app = create_cert_app(applicant, org)
    response = applicant.patch(
        f"/applications/{app['id']}",
        {
            "cost_lines": [
                {"kind": "certification_fee", "amount": "30000.00", "reference": "新发票"}
            ]
        },
    )
    assert response.status_code == 200
    assert response.json()["cost_lines"] == [
        {"kind": "certification_fee", "amount": "30000.00", "reference": "新发票"}
    ]
    assert response.json()["fields"] == app["fields"]  # untouched when not sent
    assert [h["action"] for h in response.json()["history"]] == [
        "application.create",
        "application.update",
    ]


def test_patch_with_bad_line_changes_nothing(applicant):
    org = register_org(applicant)
    app = create_cert_app(applicant, org)
    response = applicant.patch(
        f"/applications/{app['id']}", {"cost_lines": [{"kind": "certification_fee", "amount": 1.5}]}
    )
    assert response.status_code == 422
    assert applicant.get(f"/applications/{app['id']}").json()["cost_lines"] == app["cost_lines"]
