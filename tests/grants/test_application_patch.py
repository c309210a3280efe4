"""PATCH /applications/{id}: ``fields`` is a JSON Merge Patch (RFC 7396)."""

from __future__ import annotations

from tests.support.claims import create_cert_app, register_org
from tests.support.documents import cert_fields


def test_one_key_keeps_the_others(applicant):
    app = create_cert_app(applicant, register_org(applicant))
    response = applicant.patch(
        f"/applications/{app['id']}", {"fields": {"certificate_number": "GB29490-2026-0777"}}
    )
    assert response.status_code == 200, response.content
    fields = response.json()["fields"]
    assert fields == {**cert_fields("GB29490-2026-0001"), "certificate_number": "GB29490-2026-0777"}
    # the application still passes submission's field check
    assert response.json()["cost_lines"] == app["cost_lines"]


def test_null_removes_a_key_and_types_are_still_checked(applicant):
    app = create_cert_app(applicant, register_org(applicant))
    response = applicant.patch(f"/applications/{app['id']}", {"fields": {"valid_until": None}})
    assert response.status_code == 200
    assert "valid_until" not in response.json()["fields"]
    assert response.json()["fields"]["certified_on"] == app["fields"]["certified_on"]
    bad = applicant.patch(f"/applications/{app['id']}", {"fields": {"certified_on": "tomorrow"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "fields.certified_on"
    unknown = applicant.patch(f"/applications/{app['id']}", {"fields": {"nope": "x"}})
    assert unknown.status_code == 422
    # nothing changed by the refused patches
    assert applicant.get(f"/applications/{app['id']}").json()["fields"] == response.json()["fields"]


def test_empty_patch_and_cost_lines_only(applicant):
    app = create_cert_app(applicant, register_org(applicant))
    response = applicant.patch(f"/applications/{app['id']}", {"fields": {}})
    assert response.json()["fields"] == app["fields"]
    lines = [{"kind": "certification_fee", "amount": "1000.00", "reference": "x"}]
    response = applicant.patch(f"/applications/{app['id']}", {"cost_lines": lines})
    assert response.json()["fields"] == app["fields"]
    assert [c["amount"] for c in response.json()["cost_lines"]] == ["1000.00"]
