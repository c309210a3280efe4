import pytest
from django.core.management import CommandError, call_command

from grants.audit import AuditEntry, audit_verify


def test_every_change_of_the_flow_has_its_audit_row(submitted_app):
    actions = list(
        AuditEntry.objects.filter(application_id=submitted_app["id"]).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "application.create",
        "attachment.add",
        "attachment.add",
        "application.submit",
        "review.task_created",
    ]
    submit = AuditEntry.objects.get(application_id=submitted_app["id"], action="application.submit")
    assert (submit.actor_name, submit.from_status, submit.to_status, submit.level) == (
        "applicant",
        "draft",
        "in_review",
        "district",
    )


def test_chain_verifies_and_edit_is_detected(submitted_app):
    assert audit_verify().ok
    call_command("audit_verify")
    victim = AuditEntry.objects.filter(action="application.submit").get()
    AuditEntry.objects.filter(pk=victim.pk).update(
        comment="edited afterwards"
    )  # bypasses the model
    verdict = audit_verify()
    assert not verdict.ok and verdict.first_bad_entry == victim.pk
    with pytest.raises(CommandError, match=str(victim.pk)):
        call_command("audit_verify")


def test_deleted_row_is_detected(submitted_app):
    victim = AuditEntry.objects.filter(action="attachment.add").first()
    AuditEntry.objects.filter(pk=victim.pk).delete()
    verdict = audit_verify()
    assert not verdict.ok


def test_deleting_the_last_row_is_detected(submitted_app):
    AuditEntry.objects.filter(pk=AuditEntry.objects.order_by("-id").first().pk).delete()
    assert not audit_verify().ok


def test_model_refuses_update_and_delete(submitted_app):
    entry = AuditEntry.objects.first()
    entry.comment = "x"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_audit_verify_endpoint_is_for_auditors(as_user, submitted_app):
    body = as_user("auditor").get("/audit/verify").json()
    assert body["ok"] is True and body["entries"] >= 4 and body["first_bad_entry"] is None
    assert as_user("applicant").get("/audit/verify").status_code == 403
