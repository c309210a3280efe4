"""Anyone can verify a letter by its code, through the API and a page; revoked letters say so."""

from django.test import Client

from grants.models import User
from letters.models import Letter
from letters.services import letter_revoke
from tests.support.letters import approve_all


def test_verify_api_and_page_show_a_genuine_letter_without_login(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    anonymous = Client()

    body = anonymous.get(f"/api/v1/letters/verify/{letter.code}").json()
    assert set(body) == {
        "valid",
        "kind",
        "kind_label",
        "number",
        "organization",
        "program",
        "amount",
        "issued_at",
        "sha256",
    }
    assert body["valid"] is True
    assert body["kind"] == "award"
    assert body["number"] == letter.number
    assert body["organization"] == "乌鲁木齐天山新材料科技有限公司"
    assert body["program"] == "知识产权管理规范贯标认证奖励"
    assert body["amount"] == "35000.00"
    assert body["sha256"] == letter.sha256
    assert "+" in body["issued_at"] or body["issued_at"].endswith("Z")

    page = anonymous.get(f"/verify/{letter.code}")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        letter.number in html and letter.sha256 in html and "¥35,000.00" in html
    )  # money as words


def test_a_revoked_letter_is_not_valid(as_user, submitted_app, django_capture_on_commit_callbacks):
    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    letter_revoke(actor=User.objects.get(username="admin"), letter=letter, reason="金额核定有误")

    body = Client().get(f"/api/v1/letters/verify/{letter.code}").json()
    assert body["valid"] is False and body["number"] == letter.number
    page = Client().get(f"/verify/{letter.code}").content.decode()
    assert "金额核定有误" in page and "s-rejected" in page
    # and it is no longer downloadable as the application's letter
    assert (
        as_user("applicant").get(f"/applications/{submitted_app['id']}/letter").status_code == 404
    )


def test_an_unknown_code_is_404_in_both(demo):
    code = "A" * 32
    assert Client().get(f"/api/v1/letters/verify/{code}").status_code == 404
    assert Client().get(f"/verify/{code}").status_code == 404


def test_only_administrators_revoke(as_user, submitted_app, django_capture_on_commit_callbacks):
    import pytest

    from grants.errors import Forbidden

    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    with pytest.raises(Forbidden):
        letter_revoke(actor=User.objects.get(username="finance"), letter=letter, reason="x")


def test_the_qr_code_printed_on_the_letter_is_the_letters_verification_url(
    as_user, submitted_app, django_capture_on_commit_callbacks
):
    import io

    import segno
    from pypdf import PdfReader

    from letters.qr import verify_url

    approve_all(as_user, submitted_app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=submitted_app["id"])
    images = PdfReader(io.BytesIO(letter.pdf.read())).pages[0].images
    assert len(images) == 1
    printed = images[0].image.convert("1")
    expected = segno.make(verify_url(letter.code), error="m").matrix
    assert printed.size == (len(expected[0]), len(expected))  # one pixel per module
    modules = [
        [printed.getpixel((x, y)) == 0 for x in range(printed.width)] for y in range(printed.height)
    ]
    assert modules == [[bool(m) for m in row] for row in expected]
