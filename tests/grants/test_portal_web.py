"""The applicant portal: sign up, register the organisation, file a claim, see checks, submit, answer a return."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from grants.audit import AuditEntry
from grants.models import Application, Membership, Role, RoleAssignment, Status, User
from tests.support.claims import decide
from tests.support.clients import web
from tests.support.documents import PDF, cert_fields, make_uscc
from tests.support.personas import PASSWORD


def claim_post(**overrides) -> dict:
    fields = cert_fields()
    data = {f"field_{k}": v for k, v in fields.items()}
    data.update(
        cost_kind=["certification_fee", "consulting_fee", "certification_fee"],
        cost_amount=["35000.00", "8000.00", ""],
        cost_reference=["发票 No.0001", "发票 No.0002", ""],
    )
    data.update(overrides)
    return data


def test_signup_creates_an_applicant_and_logs_in(demo):
    client = Client()
    response = client.post(
        "/signup/",
        {
            "username": "xinjiang-tech",
            "email": "ip@example.cn",
            "password": "Tianshan-2026!x",
            "password2": "Tianshan-2026!x",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/portal/organizations/new/"
    user = User.objects.get(username="xinjiang-tech")
    assert RoleAssignment.objects.filter(user=user, role=Role.APPLICANT).exists()
    assert AuditEntry.objects.filter(action="user.register").exists()
    assert client.get("/portal/").status_code == 200


def test_signup_applies_the_password_validators(demo):
    response = Client().post(
        "/signup/",
        {"username": "weak", "email": "a@b.cn", "password": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert response.context["errors"]["password"]
    assert 'id="err-password"' in response.content.decode()
    assert not User.objects.filter(username="weak").exists()


def test_organisation_form_shows_the_service_error_at_the_uscc_field(demo):
    client = web("applicant")
    response = client.post(
        "/portal/organizations/new/",
        {
            "name": "测试公司",
            "uscc": "91650102MA0000001X",
            "kind": "enterprise",
            "district": "650102",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="err-uscc"' in page and 'aria-invalid="true"' in page
    ok = client.post(
        "/portal/organizations/new/",
        {
            "name": "乌鲁木齐天山新材料科技有限公司",
            "uscc": make_uscc(7).lower(),
            "kind": "enterprise",
            "district": "650102",
            "is_sme": "1",
        },
    )
    assert ok.status_code == 302
    assert Membership.objects.filter(user__username="applicant").count() == 1


@pytest.fixture
def portal_client(demo) -> Client:
    client = web("applicant")
    client.post(
        "/portal/organizations/new/",
        {
            "name": "乌鲁木齐天山新材料科技有限公司",
            "uscc": make_uscc(1),
            "kind": "enterprise",
            "district": "650102",
        },
    )
    return client


def test_claim_form_is_generated_from_the_programme_fields(portal_client):
    page = portal_client.get("/portal/programs/cert-subsidy/apply/").content.decode()
    for name in ("standard", "certificate_number", "certification_body", "certified_on"):
        assert f'<label for="f-{name}">' in page and f'id="f-{name}"' in page
    assert 'type="date"' in page and "GB/T 29490" in page


def test_draft_checks_upload_submit(portal_client, settings):
    response = portal_client.post("/portal/programs/cert-subsidy/apply/", claim_post())
    assert response.status_code == 302, response.content.decode()
    app = Application.objects.get()
    assert app.status == Status.DRAFT and app.cost_lines.count() == 2  # the empty row is no line

    page = portal_client.get(response["Location"])
    preview = page.context["preview"]
    assert preview["award"] == "35000.00"  # consulting never counts
    assert preview["blocking"] >= 1  # attachments missing

    for kind in ("certificate", "invoice"):
        upload = SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
        r = portal_client.post(
            f"/portal/applications/{app.pk}/attachments/",
            {"kind": kind, "file": upload},
            HTTP_ACCEPT="application/json",
        )
        assert r.status_code == 201, r.content
    assert portal_client.get(f"/portal/applications/{app.pk}/").context["preview"]["blocking"] == 0

    r = portal_client.post(f"/portal/applications/{app.pk}/submit/", {"pledge": "1"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW
    page = portal_client.get(f"/portal/applications/{app.pk}/").content.decode()
    assert "提交审核" in page or "Submitted for review" in page


def test_bad_amount_is_shown_at_its_cost_row(portal_client):
    response = portal_client.post(
        "/portal/programs/cert-subsidy/apply/",
        claim_post(cost_kind=["certification_fee"], cost_amount=["3.5万"], cost_reference=["x"]),
    )
    assert response.status_code == 200
    assert response.context["cost_rows"][0]["errors"]
    assert Application.objects.count() == 0


def test_returned_application_shows_the_comment_and_can_be_resubmitted(portal_client, as_user):
    portal_client.post("/portal/programs/cert-subsidy/apply/", claim_post())
    app = Application.objects.get()
    for kind in ("certificate", "invoice"):
        upload = SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
        portal_client.post(
            f"/portal/applications/{app.pk}/attachments/", {"kind": kind, "file": upload}
        )
    portal_client.post(f"/portal/applications/{app.pk}/submit/", {"pledge": "1"})
    assert (
        decide(as_user("reviewer-tianshan"), app.pk, "return", "请补充认证机构盖章").status_code
        == 200
    )

    page = portal_client.get(f"/portal/applications/{app.pk}/")
    assert "请补充认证机构盖章" in page.content.decode()
    assert page.context["app"].is_editable
    r = portal_client.post(
        f"/portal/applications/{app.pk}/",
        claim_post(cost_reference=["发票 No.0001（已盖章）", "发票 No.0002", ""]),
    )
    assert r.status_code == 302
    portal_client.post(f"/portal/applications/{app.pk}/submit/", {"pledge": "1"})
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW and app.round == 2


def test_letter_button_only_for_awarded_or_paid(portal_client):
    portal_client.post("/portal/programs/cert-subsidy/apply/", claim_post())
    app = Application.objects.get()
    assert "/letter" not in portal_client.get(f"/portal/applications/{app.pk}/").content.decode()
    Application.objects.filter(pk=app.pk).update(status=Status.AWARDED)
    page = portal_client.get(f"/portal/applications/{app.pk}/").content.decode()
    assert f'href="/api/v1/applications/{app.pk}/letter"' in page


def test_another_applicant_cannot_open_the_claim(portal_client, demo):
    portal_client.post("/portal/programs/cert-subsidy/apply/", claim_post())
    app = Application.objects.get()
    User.objects.create_user("other", password=PASSWORD)
    other = web("other")
    assert other.get(f"/portal/applications/{app.pk}/").status_code == 404
    assert other.post(f"/portal/applications/{app.pk}/submit/", {"pledge": "1"}).status_code == 404
