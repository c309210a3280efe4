"""The web pages of vouchers and agencies: listed, QR shown to the holder, public verification."""

from django.test import Client

from agencies.models import Voucher
from tests.support.personas import PASSWORD
from tests.support.vouchers import issue, register_smes, rows_for, voucher_sheet


def client_for(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def test_admin_issues_from_the_page_and_the_holder_sees_the_qr(demo, as_user):
    orgs = register_smes(3)
    admin = client_for("admin")
    from django.core.files.uploadedfile import SimpleUploadedFile

    sheet = SimpleUploadedFile("v.xlsx", voucher_sheet(rows_for(orgs) + [("bad", "x", "")]))
    response = admin.post(
        "/vouchers/bulk/", {"file": sheet, "program": "service-voucher"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "BAD" in page and Voucher.objects.count() == 3

    voucher = Voucher.objects.first()
    holder = client_for("applicant")
    detail = holder.get(f"/vouchers/{voucher.pk}/").content.decode()
    assert "<svg" in detail and voucher.code in detail
    assert client_for("agency").get(f"/vouchers/{voucher.pk}/").status_code == 404


def test_verification_page_needs_no_login(demo, as_user):
    voucher = issue(as_user("admin"), register_smes(1)[0])
    code = Voucher.objects.get(pk=voucher["id"]).code
    assert Client().get(f"/vouchers/verify/{code}/").status_code == 200
    assert Client().get("/vouchers/verify/" + "x" * 32 + "/").status_code == 404


def test_agency_pages(demo):
    client = client_for("applicant")
    page = client.get("/agencies/").content.decode()
    assert "乌鲁木齐天山知识产权代理有限公司" in page
