"""The pages for an organisation's people and proofs: errors at their field, input kept."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from grants.models import AuthorityLetter, JoinRequest, Membership, Organization, UsccRegionOverride
from grants.organizations import invitation_token
from tests.support.claims import register_org
from tests.support.clients import web
from tests.support.documents import PDF, make_uscc
from tests.support.organizations import signed_up, web_client

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=", re.I)


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert not INLINE.search(html.split("<main", 1)[1]), "inline script or style in a new page"
    return html


def test_registration_with_bank_details_and_a_letter(demo):
    client = web("applicant")
    form = {
        "name": "乌鲁木齐天山网页登记有限公司",
        "uscc": make_uscc(6001),
        "kind": "enterprise",
        "district": "650102",
        "bank_account_name": "乌鲁木齐天山网页登记有限公司",
        "bank_bank_name": "中国工商银行乌鲁木齐分行",
        "bank_account_number": "30020001092000060",
        "bank_cnaps_code": "1028810000",
    }
    refused = client.post("/portal/organizations/new/", form)
    html = _page(refused)
    assert 'id="err-bank-cnaps"' in html and 'value="1028810000"' in html
    assert 'value="30020001092000060"' in html  # the input kept

    form["bank_cnaps_code"] = "102881000014"
    form["authority_letter"] = SimpleUploadedFile("授权委托书.pdf", PDF, "application/pdf")
    assert client.post("/portal/organizations/new/", form).status_code == 302
    org = Organization.objects.get(uscc=make_uscc(6001))
    assert org.has_confirmed_bank_details and org.cnaps_code == "102881000014"
    assert AuthorityLetter.objects.get(organization=org).status == "pending"
    html = _page(client.get("/portal/"))
    assert f"/portal/organizations/{org.pk}/" in html

    # the same code again: the error at the field, with the way to join
    form.pop("authority_letter")
    again = signed_up("web-colleague")
    html = _page(web_client("web-colleague").post("/portal/organizations/new/", form))
    assert 'id="err-uscc"' in html and "/portal/organizations/join/?uscc=" in html
    assert again.get(f"/organizations/{org.pk}").status_code == 404


def test_the_region_check_is_shown_at_the_uscc_field(demo):
    html = _page(
        web("applicant").post(
            "/portal/organizations/new/",
            {
                "name": "克拉玛依公司",
                "uscc": make_uscc(6002, "650200"),
                "kind": "enterprise",
                "district": "650102",
            },
        )
    )
    assert 'id="err-uscc"' in html and "650200" in html


def test_join_claim_and_the_administrators_page(applicant):
    org_id = register_org(applicant, serial=6003)
    signed_up("web-joiner")
    joiner = web_client("web-joiner")
    html = _page(joiner.post("/portal/organizations/join/", {"uscc": make_uscc(6999)}))
    assert 'id="err-uscc"' in html
    sent = joiner.post("/portal/organizations/join/", {"uscc": make_uscc(6003), "message": "财务"})
    assert sent.status_code == 302
    assert joiner.get(f"/portal/organizations/{org_id}/").status_code == 404
    assert "status s-pending" in _page(joiner.get("/portal/"))

    admin = web("applicant")
    html = _page(admin.get(f"/portal/organizations/{org_id}/"))
    assert "web-joiner" in html and "财务" in html
    request_id = JoinRequest.objects.get(user__username="web-joiner").pk
    done = admin.post(f"/portal/organizations/{org_id}/approve/", {"request": request_id})
    assert done.status_code == 302
    assert Membership.objects.get(user__username="web-joiner").role == "staff"
    _page(joiner.get(f"/portal/organizations/{org_id}/"))

    # an invitation to a bad address: the error at the field, the input kept
    html = _page(
        admin.post(f"/portal/organizations/{org_id}/invite/", {"email": "zhang@", "role": "staff"})
    )
    assert 'id="err-invite-email"' in html and 'value="zhang@"' in html
    # new bank details with a bad number: at the field, kept
    html = _page(
        admin.post(
            f"/portal/organizations/{org_id}/bank/",
            {
                "bank_account_name": "某公司",
                "bank_bank_name": "某银行",
                "bank_account_number": "12AB",
                "bank_cnaps_code": "",
            },
        )
    )
    assert 'id="err-bank-account-number"' in html and 'value="12AB"' in html
    # the last administrator cannot leave
    me = Membership.objects.get(user__username="applicant", organization_id=org_id).user_id
    html = _page(admin.post(f"/portal/organizations/{org_id}/remove/", {"user": me}))
    assert "alert error" in html

    # a claim needs its letter
    signed_up("web-claimant")
    claimant = web_client("web-claimant")
    html = _page(
        claimant.post(
            "/portal/organizations/join/",
            {"uscc": make_uscc(6003), "message": "本单位未授权", "claim": "1"},
        )
    )
    assert 'id="err-file"' in html
    filed = claimant.post(
        "/portal/organizations/join/",
        {
            "uscc": make_uscc(6003),
            "message": "本单位未授权",
            "claim": "1",
            "file": SimpleUploadedFile("授权委托书.pdf", PDF, "application/pdf"),
        },
    )
    assert filed.status_code == 302
    assert "alert error" in _page(admin.get(f"/portal/organizations/{org_id}/"))


def test_the_district_reviewer_checks_letters_and_resolves_disputes(applicant):
    org_id = register_org(applicant, serial=6004)
    applicant.upload(f"/organizations/{org_id}/authority-letters", "授权委托书.pdf", PDF, "letter")
    reviewer = web("reviewer-tianshan")
    html = _page(reviewer.get("/review/organizations/"))
    assert f"/review/organizations/{org_id}/" in html
    assert "/review/organizations/" in _page(reviewer.get("/review/"))
    assert web("reviewer-xinshi").get(f"/review/organizations/{org_id}/").status_code == 404
    letter = AuthorityLetter.objects.get(organization_id=org_id)
    html = _page(
        reviewer.post(
            f"/review/organizations/{org_id}/letter/", {"letter": letter.pk, "decision": "refuse"}
        )
    )
    assert f'id="err-comment-{letter.pk}"' in html
    done = reviewer.post(
        f"/review/organizations/{org_id}/letter/",
        {"letter": letter.pk, "decision": "refuse", "comment": "印章不清"},
    )
    assert done.status_code == 302
    assert (
        reviewer.post(f"/review/organizations/{org_id}/open/", {"reason": "身份存疑"}).status_code
        == 302
    )
    html = _page(reviewer.get(f"/review/organizations/{org_id}/"))
    dispute_id = int(re.search(r'name="dispute" value="(\d+)"', html).group(1))
    html = _page(
        reviewer.post(
            f"/review/organizations/{org_id}/resolve/", {"dispute": dispute_id, "resolution": "x"}
        )
    )
    assert '<fieldset aria-invalid="true"' in html
    done = reviewer.post(
        f"/review/organizations/{org_id}/resolve/",
        {"dispute": dispute_id, "outcome": "dismissed", "resolution": "补交材料后核实无误"},
    )
    assert done.status_code == 302
    assert not Organization.objects.get(pk=org_id).disputes.filter(status="open").exists()


def test_the_invitation_page_and_region_exceptions(applicant):
    org_id = register_org(applicant, serial=6005)
    applicant.post(f"/organizations/{org_id}/invitations", {"email": "guest@example.cn"})
    from grants.models import Invitation

    token = invitation_token(Invitation.objects.get(email="guest@example.cn"))
    from django.test import Client

    html = _page(Client().get(f"/portal/invitations/{token}/"))
    assert "/login/?next=" in html
    assert Client().get("/portal/invitations/forged/").status_code == 404
    signed_up("guest", email="guest@example.cn")
    guest = web_client("guest")
    accepted = guest.post(f"/portal/invitations/{token}/")
    assert (
        accepted.status_code == 302 and accepted["Location"] == f"/portal/organizations/{org_id}/"
    )

    admin = web("admin")
    html = _page(
        admin.post(
            "/review/region-exceptions/",
            {"uscc": make_uscc(6006, "650200"), "district": "650102", "reason": ""},
        )
    )
    assert 'id="err-reason"' in html
    ok = admin.post(
        "/review/region-exceptions/",
        {"uscc": make_uscc(6006, "650200"), "district": "650102", "reason": "总部迁入天山区"},
    )
    assert ok.status_code == 302 and UsccRegionOverride.objects.count() == 1
    assert web("applicant").get("/review/region-exceptions/").status_code == 404
