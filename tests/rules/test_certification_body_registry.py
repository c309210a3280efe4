"""Accredited certification bodies are a registry an administrator keeps; the typed name is
matched after NFKC normalisation (full/half-width, spaces) and stored as typed."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from grants.models import Application
from grants.text import normalise_name
from rules.models import CertificationBody
from tests.support.claims import attach_required, create_cert_app, register_org
from tests.support.documents import cert_fields

HALF_WIDTH = "中知(北京)认证有限公司"


def check(body: dict, rule: str) -> dict:
    return next(c for c in body["checks"] if c["rule"] == rule)


def test_the_seeded_list_is_the_registry(demo):
    names = set(CertificationBody.objects.values_list("name", flat=True))
    assert "中知（北京）认证有限公司" in names and len(names) >= 5


def test_normalise_name_folds_width_and_spaces():
    assert normalise_name("  中知(北京)认证  有限公司 ") == normalise_name(
        "中知（北京）认证 有限公司"
    )
    assert normalise_name("ＣＱＣ　中国质量认证中心") == "CQC 中国质量认证中心"
    assert normalise_name(None) == ""


def test_half_width_brackets_pass_and_are_stored_as_typed(applicant):
    org = register_org(applicant)
    response = applicant.post(
        "/applications",
        {
            "program": "cert-subsidy",
            "organization": org,
            "fields": cert_fields() | {"certification_body": HALF_WIDTH},
            "cost_lines": [{"kind": "certification_fee", "amount": "30000.00"}],
        },
    )
    assert response.status_code == 201, response.content
    app_id = response.json()["id"]
    attach_required(applicant, app_id)
    submitted = applicant.post(f"/applications/{app_id}/submit")
    assert submitted.status_code == 200, submitted.content
    verdict = check(submitted.json(), "certification_body_accredited")
    assert verdict["passed"] is True and verdict["severity"] == "block"
    assert Application.objects.get(pk=app_id).fields["certification_body"] == HALF_WIDTH
    assert submitted.json()["fields"]["certification_body"] == HALF_WIDTH


def test_unknown_body_blocks_and_the_registry_decides(applicant):
    app = create_cert_app(applicant, register_org(applicant))
    applicant.patch(f"/applications/{app['id']}", {"fields": {"certification_body": "某咨询公司"}})
    attach_required(applicant, app["id"])
    refused = applicant.post(f"/applications/{app['id']}/submit")
    assert refused.status_code == 422
    assert check(refused.json(), "certification_body_accredited")["passed"] is False
    # the administrator adds it to the registry: the same claim passes
    CertificationBody.objects.create(name="某咨询公司", source="test: CNAS 目录 2026-11-29")
    assert applicant.post(f"/applications/{app['id']}/submit").status_code == 200


def test_accreditation_that_ended_before_the_certificate_does_not_count(applicant):
    body = CertificationBody.objects.get(name="中知（北京）认证有限公司")
    body.valid_until = timezone.localdate() - dt.timedelta(days=365)
    body.save()
    app = create_cert_app(applicant, register_org(applicant))
    attach_required(applicant, app["id"])
    refused = applicant.post(f"/applications/{app['id']}/submit")
    assert check(refused.json(), "certification_body_accredited")["passed"] is False


def test_the_claim_form_offers_the_registry(demo):
    from tests.support.claims import register_org as _register
    from tests.support.clients import login, web

    _register(login("applicant"))
    page = web("applicant").get("/portal/programs/cert-subsidy/apply/").content.decode()
    assert "<datalist" in page and "华夏认证中心有限公司" in page


def test_a_full_width_certificate_number_is_the_same_certificate_and_kept_as_typed(applicant):
    org = register_org(applicant)
    first = create_cert_app(applicant, org, certificate_number="GB29490-2026-0777")
    attach_required(applicant, first["id"])
    assert applicant.post(f"/applications/{first['id']}/submit").status_code == 200
    typed = (
        "ＧＢ２９４９０－２０２６－０７７７"  # the same number typed with a Chinese input method
    )
    second = create_cert_app(applicant, org, certificate_number=typed)
    attach_required(applicant, second["id"])
    refused = applicant.post(f"/applications/{second['id']}/submit")
    assert refused.status_code in (409, 422), refused.content
    assert Application.objects.get(pk=second["id"]).fields["certificate_number"] == typed
