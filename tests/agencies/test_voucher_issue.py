"""Issuing single vouchers: rules decide who is eligible; one per SME per programme; admins only."""

from tests.support.vouchers import issue, register_smes, upload_sheet


def test_not_an_sme_gets_a_422_with_the_rule(demo, as_user):
    org = register_smes(1, is_sme=False)[0]
    response = as_user("admin").post(
        "/vouchers", {"program": "service-voucher", "organization": org.pk}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "sme"


def test_second_voucher_for_the_same_sme_is_refused(demo, as_user):
    admin = as_user("admin")
    org = register_smes(1)[0]
    issue(admin, org)
    again = admin.post("/vouchers", {"program": "service-voucher", "organization": org.pk})
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "organization"


def test_applicants_cannot_issue(demo, as_user):
    org = register_smes(1)[0]
    applicant = as_user("applicant")
    assert (
        applicant.post(
            "/vouchers", {"program": "service-voucher", "organization": org.pk}
        ).status_code
        == 403
    )
    assert upload_sheet(applicant, b"not a sheet").status_code == 403


def test_a_file_that_is_not_a_workbook_is_a_422(demo, as_user):
    response = upload_sheet(as_user("admin"), b"not a sheet")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


def test_vouchers_are_private_to_their_sme(demo, as_user):
    admin = as_user("admin")
    voucher = issue(admin, register_smes(1)[0])
    assert as_user("agency").get(f"/vouchers/{voucher['id']}").status_code == 404
    assert as_user("reviewer-xinshi").get(f"/vouchers/{voucher['id']}").status_code == 404
    seen = as_user("reviewer-tianshan").get(f"/vouchers/{voucher['id']}").json()
    assert "code" not in seen  # reviewers see the voucher, not its secret
