import json

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command

from grants.audit import AuditCheckpoint, AuditEntry, AuditHead, audit_seal, audit_verify
from grants.auditchain import chain_next, entry_digest, main, verify_export


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
    audit_seal()  # what the beat does every few seconds: the rows are in the chain
    victim = AuditEntry.objects.filter(action="attachment.add").first()
    AuditEntry.objects.filter(pk=victim.pk).delete()
    verdict = audit_verify()
    assert not verdict.ok


def test_deleting_the_last_row_is_detected(submitted_app):
    audit_seal()
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


def test_a_re_hashed_forgery_is_detected(submitted_app):
    """Whoever writes the database changes an entry and re-computes the chain after it:
    without the HMAC key the entry no longer verifies, and the signed checkpoint disagrees."""
    audit_seal()
    victim = AuditEntry.objects.get(action="application.submit")
    AuditEntry.objects.filter(pk=victim.pk).update(comment="批准金额改为 ¥50,000.00")
    head = AuditHead.objects.get(pk=1)
    previous = head.last_hash
    for row in AuditEntry.objects.filter(seq__isnull=False).order_by("seq"):
        previous = chain_next(previous, entry_digest(row.payload(), row.mac))
        AuditEntry.objects.filter(pk=row.pk).update(chain=previous)
    AuditHead.objects.filter(pk=1).update(sealed_chain=previous)
    verdict = audit_verify()
    assert not verdict.ok and verdict.first_bad_entry == victim.pk
    assert "HMAC" in verdict.reason


def test_no_lock_is_taken_by_a_change(submitted_app, django_assert_max_num_queries):
    """audit_record is one INSERT: the chain's head is touched only by the sealer."""
    from django.db import transaction

    from grants.audit import audit_record
    from grants.models import Application

    app = Application.objects.get(pk=submitted_app["id"])
    with transaction.atomic(), django_assert_max_num_queries(1):
        audit_record(actor=None, action="test.noop", obj=app, application=app, role="system")


def test_checkpoints_verify_off_line_with_the_public_key_only(submitted_app, tmp_path, capsys):
    call_command("audit_export", str(tmp_path))
    document = json.loads((tmp_path / "audit-export.json").read_text(encoding="utf-8"))
    public = serialization.load_pem_public_key((tmp_path / "audit-public-key.pem").read_bytes())
    assert document["checkpoints"] and document["entries"]
    assert verify_export(document, public) == []
    assert (
        main(["x", str(tmp_path / "audit-export.json"), str(tmp_path / "audit-public-key.pem")])
        == 0
    )
    assert "ok:" in capsys.readouterr().out

    # one entry changed in the export, its chain re-computed: the signed checkpoint says no
    forged = json.loads(json.dumps(document))
    forged["entries"][0]["payload"]["comment"] = "改过"
    previous = forged["legacy_head"]
    for entry in forged["entries"]:
        previous = chain_next(previous, entry_digest(entry["payload"], entry["mac"]))
        entry["chain"] = previous
    problems = verify_export(forged, public)
    assert any("do not chain" in p for p in problems)
    # a checkpoint whose figures were edited no longer carries a valid signature
    forged = json.loads(json.dumps(document))
    forged["checkpoints"][-1]["seq"] += 1
    assert any("signature" in p for p in verify_export(forged, public))


def test_the_first_checkpoint_anchors_the_legacy_chain(db):
    """Entries written before the keyed design keep their unkeyed chain; the first signed
    checkpoint records its last hash, so re-hashing those entries is detected too."""
    from django.utils import timezone

    from grants.auditchain import GENESIS, legacy_hash

    previous = GENESIS
    for i in range(3):  # as the old audit_record wrote them
        row = AuditEntry(
            at=timezone.now(),
            actor_name="system",
            action=f"legacy.{i}",
            object_type="x",
            object_id=str(i),
            prev_hash=previous,
        )
        row.hash = legacy_hash(previous, row.payload())
        row.save()
        previous = row.hash
    AuditHead.objects.update_or_create(pk=1, defaults={"last_hash": previous, "entries": 3})
    audit_seal()
    first = AuditCheckpoint.objects.order_by("seq", "id").first()
    assert (first.legacy_head, first.legacy_entries) == (previous, 3)
    assert audit_verify().ok
    victim = AuditEntry.objects.get(action="legacy.1")
    AuditEntry.objects.filter(pk=victim.pk).update(comment="re-hashed")
    forged = AuditEntry.objects.get(pk=victim.pk)
    new_hash = legacy_hash(forged.prev_hash, forged.payload())
    AuditEntry.objects.filter(pk=victim.pk).update(hash=new_hash)
    last = AuditEntry.objects.get(action="legacy.2")
    last.prev_hash = new_hash
    AuditEntry.objects.filter(pk=last.pk).update(
        prev_hash=new_hash, hash=legacy_hash(new_hash, last.payload())
    )
    AuditHead.objects.filter(pk=1).update(last_hash=legacy_hash(new_hash, last.payload()))
    verdict = audit_verify()
    # the sealed chain starts from the legacy head, and the checkpoint signed it
    assert not verdict.ok
    assert "legacy" in verdict.reason or "re-computed" in verdict.reason


def test_two_sealers_at_once_seal_each_entry_once_and_the_chain_verifies(
    submitted_app, monkeypatch
):
    """The seal is optimistic: the loser of a race on the chain head rolls back, nothing
    is sealed twice or out of order, and the next seal finds nothing left."""
    import grants.audit as audit

    build = audit.checkpoint_build
    raced: list[int] = []

    def build_then_let_another_sealer_win(head):
        point = build(head)
        if not raced:  # while this sealer has hashed but not written, another one seals
            raced.append(-1)
            raced[0] = audit.audit_seal()
        return point

    monkeypatch.setattr(audit, "checkpoint_build", build_then_let_another_sealer_win)
    unsealed = AuditEntry.objects.filter(seq__isnull=True).count()
    assert unsealed > 0
    assert audit_seal() == 0  # lost the race
    assert raced == [unsealed]  # the other sealer sealed them all
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    seqs = list(AuditEntry.objects.exclude(seq=None).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    head = AuditHead.objects.get(pk=1)
    assert AuditCheckpoint.objects.order_by("-id").first().chain == head.sealed_chain
    assert audit_seal() == 0
    assert audit_verify().ok


def test_a_seal_reports_how_long_it_held_the_chain(submitted_app):
    held: list[float] = []
    assert audit_seal(held=held) > 0
    assert len(held) == 1 and 0 <= held[0] < 5
