"""Service vouchers in the browser: the agency redeems at its desk with the code the SME shows,
follows its redemptions and files its claim, which the district reviewer then finds in the inbox;
the SME sees its vouchers in the portal; an administrator admits agencies and adds their
qualifications. Pages are Chinese by default; a refusal keeps what was typed."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, Qualification, Redemption, Voucher
from agencies.services.registry import agency_admit
from grants.audit import AuditEntry
from grants.models import Application, Organization, Status, User
from grants.presenters import date_text, money_text
from tests.support.claims import decide
from tests.support.clients import web
from tests.support.documents import PDF
from tests.support.pages import followed, page, stranger
from tests.support.vouchers import FACE, issue, register_smes

DEMO_AGENCY_NAME = "乌鲁木齐天山知识产权代理有限公司"


@pytest.fixture
def voucher(demo, as_user) -> Voucher:
    """A ¥10,000 voucher of an SME acted for by ``applicant``, issued today."""
    issued = issue(as_user("admin"), register_smes(1)[0])
    return Voucher.objects.get(pk=issued["id"])


def demo_agency() -> Agency:
    return Agency.objects.get(organization__name=DEMO_AGENCY_NAME)


def redeem_form(voucher: Voucher, **overrides) -> dict[str, str]:
    form = {
        "code": voucher.code,
        "agency": str(demo_agency().pk),
        "service": "custody",
        "contract_number": "HT-2026-0017",
        "contract_date": timezone.localdate().isoformat(),
        "contract_price": "9000.00",
    }
    form.update(overrides)
    return form


def field_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no input {name}"
    return match[1]


def redeemed_at_desk(voucher: Voucher) -> Client:
    agency = web("agency")
    response = agency.post("/vouchers/redeem/", redeem_form(voucher))
    assert response.status_code == 302, response.content.decode()[:2000]
    return agency


# ---------------------------------------------------------------- redemption at the desk


def test_agency_redeems_at_its_desk_with_the_code(voucher):
    agency = web("agency")
    html = page(agency.get("/vouchers/redeem/", {"code": voucher.code}))
    assert voucher.number in html and "¥10,000.00" in html and voucher.sme.name in html
    assert field_value(html, "code") == voucher.code

    # pasted as the whole link the QR code carries
    link = f"http://testserver/vouchers/verify/{voucher.code}/"
    response = agency.post("/vouchers/redeem/", redeem_form(voucher, code=link))

    assert response["Location"] == f"/vouchers/{voucher.pk}/"
    html = followed(agency, response)
    assert "已在服务机构核销" in html and "HT-2026-0017" in html and "¥9,000.00" in html
    assert 'id="claim-form"' in html
    voucher.refresh_from_db()
    assert voucher.status == "redeemed"
    redemption = Redemption.objects.get(voucher=voucher)
    assert redemption.agency == demo_agency()
    assert redemption.contract_price == Decimal("9000.00")
    assert redemption.redeemed_by.username == "agency"
    entry = AuditEntry.objects.get(action="voucher.redeem", object_id=str(voucher.pk))
    assert entry.actor.username == "agency"
    assert entry.data["by"] == "agency" and entry.data["contract_price"] == "9000.00"
    assert voucher.code not in html  # the agency is not the holder: no code, no QR


def test_the_qr_link_offers_the_redemption_to_an_agency_only(voucher):
    path = f"/vouchers/verify/{voucher.code}/"
    assert 'id="redeem-this"' in page(web("agency").get(path))
    assert 'id="redeem-this"' not in page(Client().get(path))
    assert 'id="redeem-this"' not in page(web("applicant").get(path))  # the SME itself

    redeemed_at_desk(voucher)
    html = page(web("agency").get(path))
    assert 'id="redeem-this"' not in html and "已在服务机构核销" in html


def test_a_second_redemption_shows_the_message_and_keeps_the_input(voucher):
    agency = redeemed_at_desk(voucher)

    response = agency.post("/vouchers/redeem/", redeem_form(voucher, contract_number="HT-AGAIN"))

    assert response.status_code == 409
    html = page(response)
    assert f"服务券 {voucher.number} 当前状态为“已在服务机构核销”，不能核销。" in html
    assert field_value(html, "contract_number") == "HT-AGAIN"
    assert field_value(html, "contract_price") == "9000.00"
    assert Redemption.objects.filter(voucher=voucher).count() == 1


def test_an_expired_voucher_is_refused_with_the_date(voucher):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Voucher.objects.filter(pk=voucher.pk).update(
        valid_until=yesterday, issued_at=timezone.now() - dt.timedelta(days=30)
    )

    response = web("agency").post("/vouchers/redeem/", redeem_form(voucher))

    assert response.status_code == 409
    html = page(response)
    assert f"服务券 {voucher.number} 已于 {yesterday.isoformat()} 过期。" in html
    assert field_value(html, "contract_number") == "HT-2026-0017"
    assert not Redemption.objects.exists()


def test_an_agency_exited_by_a_penalty_is_refused_with_the_message(voucher):
    admin = web("admin")
    agency_id = demo_agency().pk
    response = admin.post(
        f"/agencies/{agency_id}/penalty/",
        {
            "decided_on": timezone.localdate().isoformat(),
            "authority": "乌鲁木齐市市场监督管理局",
            "document_number": "乌市监罚〔2026〕17号",
            "reason": "虚假宣传",
        },
    )
    assert "已退出" in followed(admin, response)

    agency = web("agency")
    assert "已退出" in page(agency.get("/vouchers/redeem/"))  # said before anything is typed
    response = agency.post("/vouchers/redeem/", redeem_form(voucher))

    assert response.status_code == 409
    html = page(response)
    assert f"{DEMO_AGENCY_NAME} 未入驻服务集聚区（当前状态：已退出），不能承接服务券。" in html
    assert field_value(html, "code") == voucher.code
    voucher.refresh_from_db()
    assert voucher.status == "issued"


def test_someone_acting_for_no_agency_is_told_so(voucher):
    response = web("applicant").get("/vouchers/redeem/")
    assert response.status_code == 403
    assert "服务机构" in page(response)
    assert web("applicant").post("/vouchers/redeem/", redeem_form(voucher)).status_code == 403
    assert not Redemption.objects.exists()


def test_bad_input_shows_errors_at_the_fields_and_keeps_the_input(voucher):
    agency = web("agency")
    response = agency.post(
        "/vouchers/redeem/",
        redeem_form(voucher, code="not-a-code", contract_price="9千元", contract_date="2026-02-30"),
    )
    assert response.status_code == 200
    html = page(response)
    for field in ("code", "contract_price", "contract_date"):
        assert f'id="err-{field}"' in html, field
    assert "没有与该代码对应的服务券。" in html
    assert field_value(html, "code") == "not-a-code"
    assert field_value(html, "contract_price") == "9千元"
    assert field_value(html, "contract_number") == "HT-2026-0017"

    # the service's own field errors: a service the voucher does not cover, three decimals
    Voucher.objects.filter(pk=voucher.pk).update(services=["custody"])
    html = page(
        agency.post(
            "/vouchers/redeem/",
            redeem_form(voucher, service="valuation", contract_price="9000.005"),
        )
    )
    assert 'id="err-contract_price"' in html
    html = page(agency.post("/vouchers/redeem/", redeem_form(voucher, service="valuation")))
    assert "该服务券不适用于此服务事项。" in html and 'id="err-service"' in html
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"agency": "abc"},
        {"agency": "999999"},
        {"agency": ""},
        {"service": "<script>"},
        {"contract_price": "1e3"},
        {"contract_price": "-5"},
        {"contract_price": "NaN"},
        {"contract_price": "9" * 40},
        {"contract_date": "31/12/2026"},
        {"contract_date": "2999-01-01"},
        {"contract_number": "x" * 300},
        {"code": "x" * 5000},
        {"code": ""},
    ],
)
def test_hand_made_posts_are_refused_without_a_500(voucher, overrides):
    response = web("agency").post("/vouchers/redeem/", redeem_form(voucher, **overrides))
    assert response.status_code in (200, 403, 409), response.status_code
    assert 'role="alert"' in page(response)
    assert not Redemption.objects.exists()


def test_another_agencys_redemption_is_404(voucher):
    redeemed_at_desk(voucher)
    other = stranger("agency-2", agency=True, serial=4401)
    agency_admit(
        actor=User.objects.get(username="admin"),
        organization_id=Organization.objects.get(name="agency-2 有限公司").pk,
        services=["custody"],
    )

    assert other.get(f"/vouchers/{voucher.pk}/").status_code == 404
    assert other.post(f"/vouchers/{voucher.pk}/claim/", {"amount": "100.00"}).status_code == 404
    assert voucher.number not in page(other.get("/vouchers/"))
    # the code no longer redeems it elsewhere
    agency_id = Agency.objects.get(organization__name="agency-2 有限公司").pk
    response = other.post("/vouchers/redeem/", redeem_form(voucher, agency=str(agency_id)))
    assert response.status_code == 409
    assert Redemption.objects.get(voucher=voucher).agency == demo_agency()


def test_the_desk_needs_the_code_and_an_agency_the_user_acts_for(voucher):
    from agencies.services.vouchers import voucher_redeem
    from grants.errors import Forbidden

    stranger("agency-3", agency=True, serial=4402)
    terms = {
        "voucher": voucher,
        "agency_id": demo_agency().pk,
        "service": "custody",
        "contract_number": "HT-1",
        "contract_date": timezone.localdate(),
        "contract_price": Decimal("9000.00"),
    }
    wrong = voucher.code[:-1] + ("A" if voucher.code[-1] != "A" else "B")
    for username, code in (("agency", None), ("agency", wrong), ("agency-3", voucher.code)):
        with pytest.raises(Forbidden):
            voucher_redeem(actor=User.objects.get(username=username), code=code, **terms)
    assert not Redemption.objects.exists()


# ---------------------------------------------------------------- the agency's claim


def file_claim_through_pages(voucher: Voucher) -> tuple[Client, Application]:
    agency = redeemed_at_desk(voucher)
    html = page(agency.get(f"/vouchers/{voucher.pk}/"))
    assert field_value(html, "amount") == "9000.00"  # the face value or the price, the lower

    response = agency.post(f"/vouchers/{voucher.pk}/claim/", {"amount": "8000.00"})

    claim = Application.objects.get(voucher_redemption__voucher=voucher)
    assert response["Location"] == f"/portal/applications/{claim.pk}/"
    html = followed(agency, response)
    assert claim.number in html and voucher.number in html and 'id="claim-voucher"' in html
    for kind in ("contract", "delivery_proof"):
        upload = agency.post(
            f"/portal/applications/{claim.pk}/attachments/",
            {"kind": kind, "file": SimpleUploadedFile(f"{kind}.pdf", PDF, "application/pdf")},
        )
        assert upload.status_code == 302
    submitted = agency.post(f"/portal/applications/{claim.pk}/submit/", {"pledge": "1"})
    assert submitted.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW, followed(agency, submitted)[:3000]
    return agency, claim


def test_agency_files_its_claim_and_the_district_reviewer_finds_it(voucher):
    agency, claim = file_claim_through_pages(voucher)

    assert claim.award_amount == Decimal("8000.00")
    assert claim.organization.name == DEMO_AGENCY_NAME
    inbox = page(web("reviewer-tianshan").get("/review/"))
    assert claim.number in inbox
    assert claim.number not in page(web("reviewer-xinshi").get("/review/"))

    # the agency's list: where it stands
    html = page(agency.get("/vouchers/"))
    assert voucher.number in html and claim.number in html and "审核中" in html
    assert f'href="/portal/applications/{claim.pk}/"' in html
    # and the voucher page links to the claim instead of offering a second one
    html = page(agency.get(f"/vouchers/{voucher.pk}/"))
    assert 'id="claim-form"' not in html and f"/portal/applications/{claim.pk}/" in html


def test_the_agency_downloads_the_award_letter_once_awarded(
    voucher, as_user, django_capture_on_commit_callbacks
):
    agency, claim = file_claim_through_pages(voucher)
    for reviewer in ("reviewer-tianshan", "reviewer-city", "reviewer-region"):
        with django_capture_on_commit_callbacks(execute=True):
            assert decide(as_user(reviewer), claim.pk, "approve", "同意").status_code == 200
    claim.refresh_from_db()
    assert claim.status == Status.AWARDED

    html = page(agency.get(f"/portal/applications/{claim.pk}/"))
    assert 'id="letter-download"' in html
    letter = agency.get(f"/api/v1/applications/{claim.pk}/letter")
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    assert "已使用" in page(agency.get("/vouchers/"))


def test_claim_input_errors_keep_the_amount(voucher):
    agency = redeemed_at_desk(voucher)
    for amount, message in (("八千", "“八千”不是有效金额。"), ("0", "应为正数金额。")):
        response = agency.post(f"/vouchers/{voucher.pk}/claim/", {"amount": amount})
        assert response.status_code == 200
        html = page(response)
        assert message in html and field_value(html, "amount") == amount
    assert not Application.objects.exists()

    # the SME may see the voucher but does not file the agency's claim
    response = web("applicant").post(f"/vouchers/{voucher.pk}/claim/", {"amount": "8000.00"})
    assert response.status_code == 403
    assert not Application.objects.exists()

    assert agency.post(f"/vouchers/{voucher.pk}/claim/", {"amount": "8000.00"}).status_code == 302
    again = agency.post(f"/vouchers/{voucher.pk}/claim/", {"amount": "8000.00"})
    assert again.status_code in (302, 409)  # the form is gone; a replayed post is refused
    assert Application.objects.count() == 1


# ---------------------------------------------------------------- the SME


def test_the_sme_sees_its_vouchers_in_the_portal(voucher):
    sme = web("applicant")
    html = page(sme.get("/portal/"))
    assert 'id="my-vouchers"' in html and voucher.number in html
    assert money_text(FACE) in html and date_text(voucher.valid_until) in html and "已发放" in html
    detail = page(sme.get(f"/vouchers/{voucher.pk}/"))
    assert voucher.code in detail and "<svg" in detail

    redeemed_at_desk(voucher)
    html = page(sme.get("/portal/"))
    assert "已在服务机构核销" in html and DEMO_AGENCY_NAME in html
    assert 'id="voucher-desk"' not in html  # the SME does not act for an agency

    agency_home = page(web("agency").get("/portal/"))
    assert 'id="voucher-desk"' in agency_home and 'href="/vouchers/redeem/"' in agency_home


def test_links_per_role(voucher):
    assert 'href="/vouchers/redeem/"' in page(web("agency").get("/agencies/"))
    assert 'href="/vouchers/redeem/"' in page(web("agency").get(f"/agencies/{demo_agency().pk}/"))
    assert 'href="/vouchers/redeem/"' in page(web("agency").get("/vouchers/"))
    assert 'href="/vouchers/redeem/"' not in page(web("applicant").get("/vouchers/"))
    assert 'href="/vouchers/redeem/"' not in page(web("reviewer-tianshan").get("/agencies/"))

    english = web("agency")
    english.cookies["django_language"] = "en"
    assert "Redeem a service voucher" in page(english.get("/vouchers/redeem/"))


# ---------------------------------------------------------------- administrators


def register_candidate(serial: int = 4501) -> Organization:
    stranger(f"new-agency-{serial}", agency=True, serial=serial)
    return Organization.objects.get(name=f"new-agency-{serial} 有限公司")


def test_administrator_admits_an_agency_and_adds_a_qualification(demo):
    org = register_candidate()
    admin = web("admin")
    html = page(admin.get("/agencies/"))
    assert 'id="admit"' in html and f'value="{org.pk}"' in html

    response = admin.post(
        "/agencies/admit/", {"organization": str(org.pk), "services": ["custody", "valuation"]}
    )

    agency = Agency.objects.get(organization=org)
    assert response["Location"] == f"/agencies/{agency.pk}/"
    html = followed(admin, response)
    assert "已入驻" in html and "知识产权托管" in html
    assert agency.status == "admitted" and agency.services == ["custody", "valuation"]
    assert AuditEntry.objects.filter(action="agency.admitted", object_id=str(agency.pk)).exists()
    assert f'value="{org.pk}"' not in page(admin.get("/agencies/"))  # no longer a candidate

    expires = timezone.localdate() + dt.timedelta(days=365)
    response = admin.post(
        f"/agencies/{agency.pk}/qualifications/",
        {"name": "专利代理机构执业许可证", "number": "65101", "expires_on": expires.isoformat()},
    )
    html = followed(admin, response)
    assert "专利代理机构执业许可证" in html and date_text(expires) in html
    assert Qualification.objects.get(agency=agency).number == "65101"

    # its people now find the desk
    assert 'id="desk"' in page(web("new-agency-4501").get(f"/agencies/{agency.pk}/"))


def test_admission_errors_are_at_the_fields_with_the_input_kept(demo):
    org = register_candidate()
    enterprise = register_smes(1)[0]
    admin = web("admin")

    html = page(admin.post("/agencies/admit/", {"organization": str(org.pk), "admitted_on": "x"}))
    assert 'id="err-services"' in html and 'id="err-admitted_on"' in html
    assert f'<option value="{org.pk}" selected>' in html

    html = page(admin.post("/agencies/admit/", {"organization": "", "services": ["custody"]}))
    assert 'id="err-organization"' in html
    assert 'id="a-svc-custody" name="services" value="custody" checked' in html

    html = page(
        admin.post(
            "/agencies/admit/", {"organization": str(enterprise.pk), "services": ["custody"]}
        )
    )
    assert "仅单位类型为 service_agency" in html and 'id="err-organization"' in html

    html = page(admin.post("/agencies/admit/", {"organization": "abc", "services": ["bogus"]}))
    assert 'role="alert"' in html
    assert not Agency.objects.filter(organization=org).exists()

    demo_org = demo_agency().organization
    response = admin.post(
        "/agencies/admit/", {"organization": str(demo_org.pk), "services": ["custody"]}
    )
    assert response.status_code == 409 and "该单位已在服务机构名录中。" in page(response)

    # not an administrator
    response = web("agency").post(
        "/agencies/admit/", {"organization": str(org.pk), "services": ["custody"]}
    )
    assert response.status_code == 403
    assert not Agency.objects.filter(organization=org).exists()


def test_qualification_and_penalty_errors_keep_the_input(demo):
    admin = web("admin")
    agency = demo_agency()
    today = timezone.localdate()
    html = page(
        admin.post(
            f"/agencies/{agency.pk}/qualifications/",
            {
                "name": "专利代理机构执业许可证",
                "issued_on": today.isoformat(),
                "expires_on": (today - dt.timedelta(days=1)).isoformat(),
            },
        )
    )
    assert "到期日期早于发证日期。" in html and 'id="err-q-expires_on"' in html
    assert field_value(html, "name") == "专利代理机构执业许可证"
    html = page(admin.post(f"/agencies/{agency.pk}/qualifications/", {"name": ""}))
    assert 'id="err-q-name"' in html and 'id="err-q-expires_on"' in html
    assert not Qualification.objects.filter(agency=agency).exists()

    html = page(
        admin.post(
            f"/agencies/{agency.pk}/penalty/",
            {"decided_on": "", "authority": "市监局", "document_number": "", "reason": "x"},
        )
    )
    assert 'id="err-p-decided_on"' in html and field_value(html, "authority") == "市监局"
    agency.refresh_from_db()
    assert agency.status == "admitted"
    assert web("agency").post(f"/agencies/{agency.pk}/qualifications/", {}).status_code == 403


def test_the_agency_desk_redeems_through_the_api_with_the_code(voucher, as_user):
    desk = as_user("agency")
    body = {k: v for k, v in redeem_form(voucher).items()}
    body["agency"] = demo_agency().pk

    assert desk.post("/redemptions", body | {"code": "x" * 32}).status_code == 404
    r = desk.post("/redemptions", body)
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "redeemed" and "code" not in r.json()
    voucher.refresh_from_db()
    assert voucher.redemption.agency == demo_agency()
    assert desk.post("/redemptions", body).status_code == 409  # once
    # without the code, the agency cannot take someone's voucher by its id
    other = Voucher.objects.get(pk=issue(as_user("admin"), register_smes(1, start=2000)[0])["id"])
    r = desk.post(f"/vouchers/{other.pk}/redeem", {k: v for k, v in body.items() if k != "code"})
    assert r.status_code == 404
