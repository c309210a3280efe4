"""Bank details on the organisation: given at registration they count as confirmed; a later
change waits for another administrator (or the district reviewer where there is one)."""

from __future__ import annotations

import pytest

from grants.audit import AuditEntry
from grants.models import BankDetailsChange, Notification, Organization
from tests.support.claims import bank_account, register_org
from tests.support.documents import make_uscc
from tests.support.organizations import signed_up

NEW = {
    "account_name": "乌鲁木齐天山新材料科技有限公司",
    "bank_name": "中国银行股份有限公司乌鲁木齐分行",
    "account_number": "1077 0000 1234 5678 901",
    "cnaps_code": "104881000019",
}


def test_details_given_at_registration_are_confirmed(applicant):
    org_id = register_org(applicant, serial=4001, name="乌鲁木齐天山新材料科技有限公司")
    shown = applicant.get(f"/organizations/{org_id}").json()
    assert shown["bank_account"] == shown["bank_account"] | {
        "account_number": bank_account("x", 4001)["account_number"],
        "cnaps_code": "105881000031",
        "confirmed": True,
    }
    assert shown["cnaps_code"] == "105881000031" and shown["bank_account_pending"] is None
    entry = AuditEntry.objects.get(action="organization.register", object_id=str(org_id))
    assert entry.data["bank_account"]["cnaps_code"] == "105881000031"


def test_the_cnaps_code_may_also_sit_beside_the_account(applicant):
    details = {k: v for k, v in NEW.items() if k != "cnaps_code"}
    response = applicant.post(
        "/organizations",
        {
            "name": "乌鲁木齐行号测试有限公司",
            "uscc": make_uscc(4002),
            "kind": "enterprise",
            "district": "650102",
            "bank_account": details,
            "cnaps_code": "104881000019",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["bank_account"]["cnaps_code"] == "104881000019"
    assert response.json()["bank_account"]["account_number"] == "1077000012345678901"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"account_number": "6222-ABCD-0001"}, "bank_account.account_number"),
        ({"account_number": "1234567"}, "bank_account.account_number"),
        ({"account_number": "1" * 33}, "bank_account.account_number"),
        ({"cnaps_code": "10488100001"}, "bank_account.cnaps_code"),
        ({"cnaps_code": "10488100001X"}, "bank_account.cnaps_code"),
        ({"bank_name": ""}, "bank_account.bank_name"),
        ({"account_name": ""}, "bank_account.account_name"),
    ],
)
def test_bad_details_are_refused_at_their_field(applicant, change, field):
    response = applicant.post(
        "/organizations",
        {
            "name": "乌鲁木齐账号测试有限公司",
            "uscc": make_uscc(4003),
            "kind": "enterprise",
            "district": "650102",
            "bank_account": NEW | change,
        },
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Organization.objects.filter(uscc=make_uscc(4003)).exists()


def test_full_width_digits_are_accepted(applicant):
    response = applicant.post(
        "/organizations",
        {
            "name": "乌鲁木齐全角测试有限公司",
            "uscc": make_uscc(4004),
            "kind": "enterprise",
            "district": "650102",
            "bank_account": NEW | {"account_number": "１０７７０００１２３４５６７８９"},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["bank_account"]["account_number"] == "1077000123456789"


def test_with_one_administrator_the_district_reviewer_confirms(applicant, as_user):
    org_id = register_org(applicant, serial=4005)
    before = applicant.get(f"/organizations/{org_id}").json()["bank_account"]
    patched = applicant.patch(f"/organizations/{org_id}", {"bank_account": NEW, "phone": "0991-1"})
    assert patched.status_code == 200, patched.content
    data = patched.json()
    assert data["bank_account"] == before  # payments keep the confirmed details
    assert data["phone"] == "0991-1"
    change_id = data["bank_account_pending"]["id"]
    assert data["bank_account_pending"]["account_number"] == "1077000012345678901"
    proposed = AuditEntry.objects.get(action="organization.bank_propose")
    assert proposed.data["before"]["account_number"] == before["account_number"]

    # not by the one who changed them, nor by a reviewer of another district
    path = f"/organizations/{org_id}/bank-account/changes/{change_id}"
    assert applicant.post(f"{path}/confirm").status_code == 403
    assert as_user("reviewer-xinshi").post(f"{path}/confirm").status_code == 404
    note = Notification.objects.get(user__username="reviewer-tianshan", kind="bank_change")
    assert f"/review/organizations/{org_id}/" in note.body  # the page where a reviewer confirms
    assert "/portal/" not in note.body
    reviewer = as_user("reviewer-tianshan")
    confirmed = reviewer.post(f"{path}/confirm", {"comment": "已电话核实"})
    assert confirmed.status_code == 200, confirmed.content
    after = applicant.get(f"/organizations/{org_id}").json()
    assert after["bank_account"]["account_number"] == "1077000012345678901"
    assert after["cnaps_code"] == "104881000019" and after["bank_account_pending"] is None
    entry = AuditEntry.objects.get(action="organization.bank_confirm")
    assert entry.actor.username == "reviewer-tianshan"
    assert entry.data["before"]["account_number"] == before["account_number"]
    assert entry.data["after"]["account_number"] == "1077000012345678901"
    assert reviewer.post(f"{path}/reject").status_code == 409


def test_with_two_administrators_the_other_one_confirms(applicant, as_user):
    org_id = register_org(applicant, serial=4006)
    colleague = signed_up("finance-head")
    rid = colleague.post(f"/organizations/{org_id}/join-requests").json()["id"]
    applicant.post(f"/organizations/{org_id}/join-requests/{rid}/approve")
    # staff may not change bank details
    assert colleague.patch(f"/organizations/{org_id}", {"bank_account": NEW}).status_code == 403
    user_id = colleague.get(f"/organizations/{org_id}/members").json()[1]["user_id"]
    applicant.post(f"/organizations/{org_id}/members/{user_id}/role", {"role": "admin"})

    change_id = applicant.patch(f"/organizations/{org_id}", {"bank_account": NEW}).json()[
        "bank_account_pending"
    ]["id"]
    path = f"/organizations/{org_id}/bank-account/changes/{change_id}"
    note = Notification.objects.get(user__username="finance-head", kind="bank_change")
    assert f"/portal/organizations/{org_id}/" in note.body
    assert not Notification.objects.filter(kind="bank_change", user__username="reviewer-tianshan")
    assert as_user("reviewer-tianshan").post(f"{path}/confirm").status_code == 403
    rejected = colleague.post(f"{path}/reject", {"comment": "账号与开户许可证不符"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert applicant.get(f"/organizations/{org_id}").json()["bank_account"]["cnaps_code"] == (
        "105881000031"
    )
    # a new proposal, confirmed by the other administrator
    change_id = applicant.patch(f"/organizations/{org_id}", {"bank_account": NEW}).json()[
        "bank_account_pending"
    ]["id"]
    path = f"/organizations/{org_id}/bank-account/changes/{change_id}"
    assert colleague.post(f"{path}/confirm").status_code == 200
    assert BankDetailsChange.objects.filter(status="confirmed").count() == 1


def test_an_organisation_without_details_adds_them_through_a_confirmation(applicant, as_user):
    org_id = register_org(applicant, serial=4007, bank=False)
    assert applicant.get(f"/organizations/{org_id}").json()["bank_account"] is None
    pending = applicant.patch(f"/organizations/{org_id}", {"bank_account": NEW}).json()
    assert pending["bank_account"] is None and pending["bank_account_pending"]
    same = applicant.patch(f"/organizations/{org_id}", {"bank_account": NEW | {"bank_name": "x"}})
    assert same.status_code == 200  # replaces the proposal waiting
    assert BankDetailsChange.objects.filter(status="withdrawn").count() == 1


def test_every_demo_organisation_can_be_paid(demo):
    """seed_demo gives each demo organisation confirmed bank details (and again when re-run)."""
    from django.utils import timezone

    from demo.seed import seed_demo

    seed_demo(timezone.localdate().year)
    orgs = list(Organization.objects.all())
    assert orgs and all(o.has_confirmed_bank_details for o in orgs)
    assert all(len(o.cnaps_code) == 12 for o in orgs)
