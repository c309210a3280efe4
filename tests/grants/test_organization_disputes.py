"""Proof of authority: authorisation letters the district reviewer checks; a claim disputes
the organisation, which takes no new application until the dispute is resolved."""

from __future__ import annotations

from grants.audit import AuditEntry
from grants.models import Membership, Notification, Organization
from tests.support.claims import attach_required, bank_account, create_cert_app, register_org
from tests.support.documents import PDF, cert_fields
from tests.support.organizations import claim, signed_up


def _new_app(api, org_id: int, tag: str):
    return api.post(
        "/applications",
        {"program": "cert-subsidy", "organization": org_id, "fields": cert_fields(tag)},
    )


def test_a_registration_letter_is_checked_by_the_district_reviewer(applicant, as_user):
    org_id = register_org(applicant, serial=5001)
    uploaded = applicant.upload(
        f"/organizations/{org_id}/authority-letters", "授权委托书.pdf", PDF, "letter"
    )
    assert uploaded.status_code == 201, uploaded.content
    letter = uploaded.json()
    assert letter["status"] == "pending"
    # a picture is no letter
    png = applicant.upload(
        f"/organizations/{org_id}/authority-letters",
        "x.png",
        b"\x89PNG\r\n\x1a\n" + b"0" * 64,
        "letter",
    )
    assert png.status_code == 422

    reviewer = as_user("reviewer-tianshan")
    assert Notification.objects.filter(
        user__username="reviewer-tianshan", kind="org_check"
    ).exists()
    listed = reviewer.get(f"/organizations/{org_id}/authority-letters").json()
    assert [item["id"] for item in listed] == [letter["id"]]
    pdf = reviewer.get(f"/organizations/{org_id}/authority-letters/{letter['id']}/file")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    path = f"/organizations/{org_id}/authority-letters/{letter['id']}/check"
    assert as_user("reviewer-city").post(path, {"decision": "accept"}).status_code == 403
    assert applicant.post(path, {"decision": "accept"}).status_code == 403
    no_reason = reviewer.post(path, {"decision": "refuse"})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "comment"
    checked = reviewer.post(path, {"decision": "accept", "comment": "与营业执照一致"})
    assert checked.status_code == 200 and checked.json()["status"] == "accepted"
    assert AuditEntry.objects.filter(action="organization.letter_check").count() == 1


def test_a_claim_freezes_new_applications_until_the_reviewer_upholds_it(applicant, as_user):
    org_id = register_org(applicant, serial=5002)
    draft = create_cert_app(applicant, org_id, certificate_number="GB29490-2026-5002")
    attach_required(applicant, draft["id"])
    claimant = signed_up("legal-rep")

    filed = claim(claimant, org_id)
    assert filed.status_code == 201, filed.content
    assert filed.json() | {"kind": "claim", "status": "pending"} == filed.json()
    assert claimant.get(f"/organizations/{org_id}").status_code == 404
    assert applicant.get(f"/organizations/{org_id}").json()["disputed"] is True
    # a second claim while one is open is refused; so is a claim without a letter
    assert claim(signed_up("someone-else"), org_id).status_code == 409

    # frozen: no new application; the existing draft goes on
    frozen = _new_app(applicant, org_id, "GB29490-2026-5003")
    assert frozen.status_code == 409
    assert frozen.json()["type"].endswith("organization-disputed")
    assert frozen.json()["errors"][0]["field"] == "organization"
    submitted = applicant.post(f"/applications/{draft['id']}/submit")
    assert submitted.status_code == 200, submitted.content
    # the administrators cannot decide a claim against themselves
    path = f"/organizations/{org_id}/join-requests/{filed.json()['id']}"
    assert applicant.post(f"{path}/approve").status_code == 409

    reviewer = as_user("reviewer-tianshan")
    dispute = reviewer.get(f"/organizations/{org_id}/disputes").json()[0]
    assert dispute["status"] == "open" and dispute["claim"] == filed.json()["id"]
    resolve = f"/organizations/{org_id}/disputes/{dispute['id']}/resolve"
    assert applicant.post(resolve, {"outcome": "dismissed", "resolution": "x"}).status_code == 403
    assert reviewer.post(resolve, {"outcome": "maybe", "resolution": "x"}).status_code == 422
    resolved = reviewer.post(
        resolve, {"outcome": "upheld", "resolution": "原登记人无授权，认领人持法定代表人授权委托书"}
    )
    assert resolved.status_code == 200, resolved.content
    roles = dict(
        Membership.objects.filter(organization_id=org_id).values_list("user__username", "role")
    )
    assert roles == {"legal-rep": "admin", "applicant": "staff"}
    assert claimant.get(f"/organizations/{org_id}").json()["disputed"] is False
    assert _new_app(claimant, org_id, "GB29490-2026-5004").status_code == 201
    trail = list(
        AuditEntry.objects.filter(action__startswith="organization.")
        .exclude(action="organization.register")
        .values_list("action", flat=True)
    )
    assert trail == [
        "organization.claim",
        "organization.letter_add",
        "organization.dispute_open",
        "organization.dispute_resolve",
    ]
    resolution = AuditEntry.objects.get(action="organization.dispute_resolve")
    assert resolution.data["outcome"] == "upheld"
    assert {"user": "applicant", "change": "staff"} in resolution.data["memberships"]

    # the bank details the ousted registrant gave are not paid to any more
    old_account = resolution.data["bank_unconfirmed"]["account_number"]
    shown = claimant.get(f"/organizations/{org_id}").json()["bank_account"]
    assert shown["account_number"] == old_account and shown["confirmed"] is False
    note = Notification.objects.get(user__username="legal-rep", kind="org_checked")
    assert "银行账户" in note.body or "bank details" in note.body
    # the new administrator gives them again (the same account, if it is the company's),
    # and the district reviewer confirms: the organisation can be paid again
    again = claimant.patch(f"/organizations/{org_id}", {"bank_account": bank_account("X", 5002)})
    assert again.status_code == 200, again.content
    change = again.json()["bank_account_pending"]["id"]
    path = f"/organizations/{org_id}/bank-account/changes/{change}/confirm"
    assert reviewer.post(path).status_code == 200
    assert Organization.objects.get(pk=org_id).has_confirmed_bank_details


def test_a_dismissed_claim_leaves_the_registration_as_it_was(applicant, as_user):
    org_id = register_org(applicant, serial=5003)
    claimant = signed_up("pretender")
    claim_id = claim(claimant, org_id).json()["id"]
    reviewer = as_user("reviewer-tianshan")
    dispute = reviewer.get(f"/organizations/{org_id}/disputes").json()[0]
    reviewer.post(
        f"/organizations/{org_id}/disputes/{dispute['id']}/resolve",
        {"outcome": "dismissed", "resolution": "授权委托书印章与备案不符"},
    )
    assert claimant.get(f"/organizations/{org_id}").status_code == 404
    mine = claimant.get("/join-requests").json()
    assert [(r["id"], r["status"]) for r in mine] == [(claim_id, "rejected")]
    assert _new_app(applicant, org_id, "GB29490-2026-5005").status_code == 201
    assert Notification.objects.filter(user__username="pretender", kind="org_checked").exists()


def test_a_withdrawn_claim_ends_the_dispute(applicant):
    org_id = register_org(applicant, serial=5004)
    claimant = signed_up("changed-mind")
    claim_id = claim(claimant, org_id).json()["id"]
    withdrawn = claimant.post(f"/organizations/{org_id}/join-requests/{claim_id}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert applicant.get(f"/organizations/{org_id}").json()["disputed"] is False


def test_a_reviewer_may_dispute_an_organisation_of_the_district(applicant, as_user):
    org_id = register_org(applicant, serial=5005)
    assert (
        as_user("reviewer-xinshi")
        .post(f"/organizations/{org_id}/disputes", {"reason": "x"})
        .status_code
        == 404
    )
    opened = as_user("reviewer-tianshan").post(
        f"/organizations/{org_id}/disputes", {"reason": "授权委托书被退回，登记人身份存疑"}
    )
    assert opened.status_code == 201, opened.content
    assert _new_app(applicant, org_id, "GB29490-2026-5006").status_code == 409
    assert Notification.objects.filter(user__username="applicant", kind="dispute_opened").exists()
