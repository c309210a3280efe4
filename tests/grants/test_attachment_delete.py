"""DELETE /applications/{id}/attachments/{attachment_id}: 204 while draft or returned, 409
otherwise; the row, and after commit the file, are gone; replacing is upload then delete."""

from __future__ import annotations

import pytest
from django.db import transaction

from grants.models import Application, Attachment, AuditEntry
from tests.support.claims import create_cert_app, decide, register_org
from tests.support.clients import login
from tests.support.documents import PDF
from tests.support.personas import CITY_REVIEWER, DISTRICT_REVIEWER, REGION_REVIEWER


def draft(applicant) -> dict:
    return create_cert_app(applicant, register_org(applicant))


def upload(api, app_id, kind="invoice"):
    response = api.upload(f"/applications/{app_id}/attachments", f"{kind}.pdf", PDF, kind)
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.django_db(transaction=True)
def test_a_draft_attachment_is_deleted_with_its_file(applicant):
    app = draft(applicant)
    att_id = upload(applicant, app["id"])
    att = Attachment.objects.get(pk=att_id)
    storage, name = att.file.storage, att.file.name
    assert storage.exists(name)
    response = applicant.delete(f"/applications/{app['id']}/attachments/{att_id}")
    assert response.status_code == 204
    assert not Attachment.objects.filter(pk=att_id).exists()
    assert not storage.exists(name)
    entry = AuditEntry.objects.get(action="attachment.delete")
    assert entry.data["kind"] == "invoice" and entry.data["sha256"] == att.sha256


def test_replace_is_upload_then_delete_and_other_documents_are_accepted(applicant):
    app = draft(applicant)
    old = upload(applicant, app["id"])
    new = upload(applicant, app["id"])
    other = upload(applicant, app["id"], kind="other")
    assert applicant.delete(f"/applications/{app['id']}/attachments/{old}").status_code == 204
    got = applicant.get(f"/applications/{app['id']}").json()["attachments"]
    assert {a["id"] for a in got} == {new, other}


def test_returned_claim_attachment_may_be_deleted(applicant, submitted_app):
    decide(login(DISTRICT_REVIEWER), submitted_app["id"], "return", "发票不清晰")
    att = submitted_app["attachments"][0]["id"]
    response = applicant.delete(f"/applications/{submitted_app['id']}/attachments/{att}")
    assert response.status_code == 204


@pytest.mark.parametrize(
    "state", ["in_review", "rejected", "approved", "awarded", "paid", "withdrawn"]
)
def test_refused_with_409_outside_draft_and_returned(applicant, submitted_app, state):
    app_id = submitted_app["id"]
    if state == "rejected":
        decide(login(DISTRICT_REVIEWER), app_id, "reject", "不符合条件")
    elif state in ("approved", "awarded", "paid"):
        for reviewer in (DISTRICT_REVIEWER, CITY_REVIEWER, REGION_REVIEWER):
            assert decide(login(reviewer), app_id, "approve").status_code == 200
        # the states after approval, as the letter and the payment set them
        Application.objects.filter(pk=app_id).update(status=state)
    elif state == "withdrawn":
        applicant.post(f"/applications/{app_id}/withdraw", {"reason": "不再申请"})
    assert Application.objects.get(pk=app_id).status == state
    att = submitted_app["attachments"][0]["id"]
    response = applicant.delete(f"/applications/{app_id}/attachments/{att}")
    assert response.status_code == 409
    assert Attachment.objects.filter(pk=att).exists()


def test_unknown_attachment_is_404_and_others_are_refused(applicant, demo):
    app = draft(applicant)
    other_app = create_cert_app(applicant, app["organization"], certificate_number="C-9")
    att = upload(applicant, other_app["id"])
    # an attachment of another application, through this one's path
    assert applicant.delete(f"/applications/{app['id']}/attachments/{att}").status_code == 404
    assert applicant.delete(f"/applications/{app['id']}/attachments/999999").status_code == 404
    # a reviewer never sees a draft
    reviewer = login(DISTRICT_REVIEWER)
    assert reviewer.delete(f"/applications/{other_app['id']}/attachments/{att}").status_code == 404
    assert Attachment.objects.filter(pk=att).exists()


def test_a_rollback_keeps_the_file(applicant):
    app = draft(applicant)
    att = Attachment.objects.get(pk=upload(applicant, app["id"]))
    from grants.models import User
    from grants.services import attachment_delete

    with pytest.raises(RuntimeError), transaction.atomic():
        attachment_delete(
            actor=User.objects.get(username="applicant"),
            application=Application.objects.get(pk=app["id"]),
            attachment_id=att.pk,
        )
        raise RuntimeError("rolled back")
    assert Attachment.objects.filter(pk=att.pk).exists() and att.file.storage.exists(att.file.name)
