"""Several people act for one organisation: join requests, roles, invitations (issue #20)."""

from __future__ import annotations

from grants.audit import AuditEntry
from grants.models import Invitation, Membership, Notification, OutboxMessage, User
from grants.organizations import invitation_token
from tests.support.claims import create_cert_app, register_org
from tests.support.documents import cert_fields, make_uscc
from tests.support.organizations import signed_up


def _cert_app(api, org_id: int):
    return api.post(
        "/applications",
        {
            "program": "cert-subsidy",
            "organization": org_id,
            "fields": cert_fields("GB29490-2026-JOIN"),
            "cost_lines": [],
        },
    )


def test_a_colleague_signed_up_on_the_web_joins_once_approved_then_files(applicant):
    org_id = register_org(applicant, serial=2001, name="乌鲁木齐天山材料有限公司")
    colleague = signed_up("colleague-a")

    # the code is taken: the 409 gives the number to ask
    taken = colleague.post(
        "/organizations",
        {
            "name": "乌鲁木齐天山材料有限公司",
            "uscc": make_uscc(2001),
            "kind": "enterprise",
            "district": "650102",
        },
    )
    assert taken.status_code == 409 and taken.json()["organization"] == org_id

    sent = colleague.post(f"/organizations/{org_id}/join-requests", {"message": "我是财务部的"})
    assert sent.status_code == 201, sent.content
    assert sent.json()["status"] == "pending"
    request_id = sent.json()["id"]
    # the same request twice is a conflict
    assert colleague.post(f"/organizations/{org_id}/join-requests").status_code == 409

    # until approved: nothing of the organisation
    assert colleague.get(f"/organizations/{org_id}").status_code == 404
    assert colleague.get("/organizations").json()["count"] == 0
    assert colleague.get(f"/organizations/{org_id}/members").status_code == 404
    refused = _cert_app(colleague, org_id)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "organization"
    assert colleague.get("/me").json()["organizations"] == []
    # nor can the requester approve themselves
    assert (
        colleague.post(f"/organizations/{org_id}/join-requests/{request_id}/approve").status_code
        == 404
    )

    # the administrator sees who asks, and approves
    waiting = applicant.get(f"/organizations/{org_id}/join-requests", status="pending").json()
    assert [r["requester"]["username"] for r in waiting] == ["colleague-a"]
    approved = applicant.post(f"/organizations/{org_id}/join-requests/{request_id}/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert (
        applicant.post(f"/organizations/{org_id}/join-requests/{request_id}/reject").status_code
        == 409
    )

    # now the colleague acts for it, as staff, and files an application
    assert colleague.get(f"/organizations/{org_id}").status_code == 200
    members = {
        m["username"]: m["role"] for m in colleague.get(f"/organizations/{org_id}/members").json()
    }
    assert members == {"applicant": "admin", "colleague-a": "staff"}
    created = _cert_app(colleague, org_id)
    assert created.status_code == 201, created.content
    assert created.json()["organization"] == org_id
    assert Notification.objects.filter(user__username="colleague-a", kind="join_decided").exists()
    assert Notification.objects.filter(user__username="applicant", kind="join_request").exists()
    actions = set(
        AuditEntry.objects.filter(action__startswith="organization.join").values_list(
            "action", flat=True
        )
    )
    assert actions == {"organization.join_request", "organization.join_approve"}


def test_a_rejected_request_gives_nothing(applicant):
    org_id = register_org(applicant, serial=2002)
    stranger = signed_up("stranger-b")
    request_id = stranger.post(f"/organizations/{org_id}/join-requests").json()["id"]
    rejected = applicant.post(
        f"/organizations/{org_id}/join-requests/{request_id}/reject", {"reason": "不认识此人"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

    assert stranger.get(f"/organizations/{org_id}").status_code == 404
    assert stranger.get("/organizations").json()["count"] == 0
    assert _cert_app(stranger, org_id).status_code == 422
    mine = stranger.get("/join-requests").json()
    assert [(r["status"], r["requester"]) for r in mine] == [("rejected", None)]
    assert not Membership.objects.filter(user__username="stranger-b").exists()
    # a rejected requester may ask again later
    assert stranger.post(f"/organizations/{org_id}/join-requests").status_code == 201


def test_only_administrators_decide_and_not_staff(applicant):
    org_id = register_org(applicant, serial=2003)
    staff = signed_up("staff-c")
    rid = staff.post(f"/organizations/{org_id}/join-requests").json()["id"]
    applicant.post(f"/organizations/{org_id}/join-requests/{rid}/approve")
    newcomer = signed_up("newcomer-d")
    rid = newcomer.post(f"/organizations/{org_id}/join-requests").json()["id"]
    assert staff.post(f"/organizations/{org_id}/join-requests/{rid}/approve").status_code == 403
    assert staff.get(f"/organizations/{org_id}/join-requests").status_code == 403
    # nor change the organisation, even with nothing to change
    assert staff.patch(f"/organizations/{org_id}", {}).status_code == 403
    assert staff.patch(f"/organizations/{org_id}", {"phone": "0991-2"}).status_code == 403
    assert (
        staff.post(f"/organizations/{org_id}/invitations", {"email": "x@example.cn"}).status_code
        == 403
    )


def test_roles_and_the_last_administrator_cannot_leave(applicant):
    org_id = register_org(applicant, serial=2004)
    colleague = signed_up("colleague-e")
    rid = colleague.post(f"/organizations/{org_id}/join-requests").json()["id"]
    applicant.post(f"/organizations/{org_id}/join-requests/{rid}/approve")
    me = User.objects.get(username="applicant")
    other = User.objects.get(username="colleague-e")

    left = applicant.client.delete(
        f"/api/v1/organizations/{org_id}/members/{me.pk}",
        HTTP_AUTHORIZATION=f"Bearer {applicant.token}",
    )
    assert left.status_code == 409
    assert "last administrator" in left.json()["detail"] or "管理员" in left.json()["detail"]
    demoted = applicant.post(f"/organizations/{org_id}/members/{me.pk}/role", {"role": "staff"})
    assert demoted.status_code == 409

    promoted = applicant.post(f"/organizations/{org_id}/members/{other.pk}/role", {"role": "admin"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    left = applicant.client.delete(
        f"/api/v1/organizations/{org_id}/members/{me.pk}",
        HTTP_AUTHORIZATION=f"Bearer {applicant.token}",
    )
    assert left.status_code == 204
    assert applicant.get(f"/organizations/{org_id}").status_code == 404
    assert AuditEntry.objects.filter(action="organization.member_leave").count() == 1
    assert AuditEntry.objects.filter(action="organization.member_role").count() == 1


def test_an_invitation_by_email_to_someone_without_an_account(applicant):
    org_id = register_org(applicant, serial=2005)
    sent = applicant.post(
        f"/organizations/{org_id}/invitations", {"email": "Li.Na@example.cn", "role": "admin"}
    )
    assert sent.status_code == 201, sent.content
    invitation = Invitation.objects.get(pk=sent.json()["id"])
    assert OutboxMessage.objects.filter(
        task="grants.invitation_email", kwargs={"invitation_id": invitation.pk}
    ).exists()
    again = applicant.post(f"/organizations/{org_id}/invitations", {"email": "li.na@example.cn"})
    assert again.status_code == 409

    # someone else's account cannot use the link
    other = signed_up("not-li-na")
    token = invitation_token(invitation)
    assert other.post("/invitations/accept", {"token": token}).status_code == 403
    assert other.post("/invitations/accept", {"token": token + "x"}).status_code == 404

    invitee = signed_up("li-na", email="li.na@example.cn")
    accepted = invitee.post("/invitations/accept", {"token": token})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["id"] == org_id
    role = Membership.objects.get(user__username="li-na", organization_id=org_id).role
    assert role == "admin"
    assert invitee.post("/invitations/accept", {"token": token}).status_code == 409


def test_an_invitation_to_a_user_with_an_account_is_a_notification(applicant):
    org_id = register_org(applicant, serial=2006)
    signed_up("wang-wei", email="wang.wei@example.cn")
    sent = applicant.post(f"/organizations/{org_id}/invitations", {"email": "wang.wei@example.cn"})
    assert sent.status_code == 201
    note = Notification.objects.get(user__username="wang-wei", kind="invitation")
    assert "/portal/invitations/" in note.body
    bad = applicant.post(f"/organizations/{org_id}/invitations", {"email": "not-an-address"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"


def test_the_demo_applicant_flow_still_files_claims(applicant):
    org_id = register_org(applicant, serial=2007)
    assert create_cert_app(applicant, org_id)["status"] == "draft"
