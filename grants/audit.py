"""The append-only audit log: each entry keyed, sealed into a chain, the chain signed.

``audit_record`` must be called inside the transaction of the change it records. It
takes no lock: it computes the entry's HMAC with a key kept outside the database
(``grants.auditkeys``) and inserts the row. Whoever can write the database cannot make a
changed entry verify again without that key.

``audit_seal`` (Celery beat, every ``FUNDFLOW_AUDIT_SEAL_SECONDS``; also run by
``audit_verify``) links the committed entries not yet sealed into one hash chain, in the
order it finds them, moving the chain head by compare-and-set (its row locked for one
statement and the commit), and signs a checkpoint of the chain
head with the Ed25519 key: a deleted, reordered or re-hashed sealed entry breaks the
chain, and a re-computed chain no longer matches a signed checkpoint. The entries kept
before this design keep their unkeyed hash chain; the first checkpoint anchors its last
hash (``legacy_head``). Auditors verify checkpoints off-line with the public key only
(``manage.py audit_export``, ``python -m grants.auditchain``).

Arithmetic in ``grants.auditchain``; keys and rotation in ``grants.auditkeys``.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants import auditkeys
from grants.auditchain import (
    GENESIS,
    chain_next,
    checkpoint_message,
    entry_digest,
    entry_mac,
    legacy_hash,
    signature_valid,
)

SEAL_BATCH = 2000

if TYPE_CHECKING:  # grants.models imports this module at its end
    from grants.models import Application, User


class AuditEntry(models.Model):
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=30, blank=True)
    action = models.CharField(_("action"), max_length=50)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object id"), max_length=50)
    application = models.ForeignKey(
        "grants.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        verbose_name=_("application"),
    )
    level = models.CharField(_("level"), max_length=10, blank=True)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # the unkeyed chain of the entries written before the keyed design (empty after it)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True, db_index=True)
    # the keyed design: the entry's HMAC and its key, then its place in the sealed chain
    key_id = models.CharField(_("key"), max_length=20, blank=True)
    mac = models.CharField("HMAC", max_length=64, blank=True)
    seq = models.PositiveBigIntegerField(_("sealed as"), null=True, blank=True, unique=True)
    chain = models.CharField(_("chain hash"), max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("audit entries are append-only")

    def compute_hash(self) -> str:
        """The legacy unkeyed hash (entries written before the keyed design)."""
        return legacy_hash(self.prev_hash, self.payload())

    @property
    def is_legacy(self) -> bool:
        return bool(self.hash) and not self.mac

    def payload(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "role": self.role,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": str(self.object_id),
            "application": self.application_id,
            "level": self.level,
            "from": self.from_status,
            "to": self.to_status,
            "comment": self.comment,
            "data": self.data,
        }


class AuditHead(models.Model):
    """One row: where the legacy chain ended, and where the sealer is.

    Locked only by ``audit_seal``'s compare-and-set, from that UPDATE to its commit; never
    by a change.
    """

    last_hash = models.CharField(max_length=64, default=GENESIS)  # the legacy chain's end
    entries = models.PositiveBigIntegerField(default=0)  # the legacy chain's length
    sealed_seq = models.PositiveBigIntegerField(default=0)
    sealed_chain = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.sealed_seq} sealed, last {self.sealed_chain[:12] or self.last_hash[:12]}…"

    @property
    def chain_head(self) -> str:
        return self.sealed_chain or self.last_hash


class AuditCheckpoint(models.Model):
    """A signed statement of the chain head: "``seq`` entries sealed, ending in ``chain``"."""

    seq = models.PositiveBigIntegerField(_("sealed entries"))
    chain = models.CharField(_("chain hash"), max_length=64)
    legacy_head = models.CharField(_("legacy chain's last hash"), max_length=64)
    legacy_entries = models.PositiveBigIntegerField(_("legacy entries"))
    at = models.CharField(_("time (UTC, ISO 8601)"), max_length=40)
    public_key = models.CharField(_("public key (Ed25519, base64)"), max_length=60)
    signature = models.CharField(_("signature (base64)"), max_length=100)

    class Meta:
        ordering = ["seq", "id"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"{self.seq} @ {self.at}"

    def message(self) -> bytes:
        return checkpoint_message(
            seq=self.seq,
            chain=self.chain,
            legacy_head=self.legacy_head,
            legacy_entries=self.legacy_entries,
            at=self.at,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "chain": self.chain,
            "legacy_head": self.legacy_head,
            "legacy_entries": self.legacy_entries,
            "at": self.at,
            "public_key": self.public_key,
            "signature": self.signature,
        }


def _plain(data: dict[str, Any] | None) -> dict[str, Any]:
    """Round-trip through JSON so the stored value hashes the same when read back."""
    plain: dict[str, Any] = json.loads(json.dumps(data or {}, default=str, ensure_ascii=False))
    return plain


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    application: Application | None = None,
    role: str = "",
    level: str = "",
    from_status: str = "",
    to_status: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """One audit entry, keyed, in the caller's transaction. No lock: sealing comes later."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "system",
        role=role,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        application=application,
        level=level or "",
        from_status=from_status or "",
        to_status=to_status or "",
        comment=comment or "",
        data=_plain(data),
    )
    key_id, key = auditkeys.current_hmac_key()
    entry.key_id = key_id
    entry.mac = entry_mac(key, entry.payload())
    entry.save()
    return entry


# ---------------------------------------------------------------- sealing


class _Raced(Exception):
    """Another sealer moved the chain head first: this seal is rolled back and retried later."""


def _head() -> AuditHead:
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        AuditHead.objects.bulk_create([AuditHead(pk=1)], ignore_conflicts=True)
        head = AuditHead.objects.get(pk=1)
    return head


def _utc_now() -> str:
    return timezone.now().astimezone(UTC).isoformat(timespec="seconds")


def checkpoint_build(head: AuditHead) -> AuditCheckpoint:
    """The signed (unsaved) checkpoint of ``head``."""
    key = auditkeys.signing_key()
    point = AuditCheckpoint(
        seq=head.sealed_seq,
        chain=head.chain_head,
        legacy_head=head.last_hash,
        legacy_entries=head.entries,
        at=_utc_now(),
        public_key=auditkeys.public_key_raw(key.public_key()),
    )
    point.signature = base64.b64encode(key.sign(point.message())).decode("ascii")
    return point


def checkpoint_sign(head: AuditHead) -> AuditCheckpoint:
    point = checkpoint_build(head)
    point.save()
    return point


def audit_seal(*, limit: int = SEAL_BATCH, held: list[float] | None = None) -> int:
    """Link committed entries not yet sealed into the chain, then sign a checkpoint.

    Optimistic, so that the chain's lock is held for one statement and the commit: the
    entries and the head are read, the chain hashes computed and the checkpoint signed with
    no transaction open; then one transaction writes the entries' places (one statement),
    the checkpoint, and last moves the head *only if it is still where it was read*
    (compare-and-set on the head row; its row lock is the chain's lock, held from that
    UPDATE to the commit). A sealer that lost the race rolls back and returns 0; the next
    beat seals those entries. ``held`` receives the seconds the head row was locked.
    """
    head = _head()
    first = not AuditCheckpoint.objects.exists()
    rows = list(
        AuditEntry.objects.filter(seq__isnull=True, hash="")
        .order_by("id")
        .only(*PAYLOAD_FIELDS, "mac", "key_id")[:limit]
    )
    if not rows and not first:
        return 0
    read_seq, read_chain = head.sealed_seq, head.sealed_chain
    previous, seq = head.chain_head, head.sealed_seq
    for row in rows:
        seq += 1
        previous = chain_next(previous, entry_digest(row.payload(), row.mac))
        row.seq, row.chain = seq, previous
    if rows:
        head.sealed_seq, head.sealed_chain = seq, previous
    point = checkpoint_build(head)  # no transaction is open while it is signed
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The seal is derived from entries already committed durably: a crash that
                # loses this commit leaves the head where it was and the next beat computes
                # the same places again. Not waiting for the WAL flush lets the head's lock
                # go at commit instead of after a disk write.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if rows:
                AuditEntry.objects.bulk_update(rows, ["seq", "chain"], batch_size=limit)
            point.save()
            locked = time.perf_counter()
            moved = AuditHead.objects.filter(
                pk=1, sealed_seq=read_seq, sealed_chain=read_chain
            ).update(sealed_seq=head.sealed_seq, sealed_chain=head.sealed_chain)
            if not moved:
                raise _Raced
        if held is not None:
            held.append(time.perf_counter() - locked)
    except (_Raced, IntegrityError):
        return 0
    return len(rows)


PAYLOAD_FIELDS = (
    "id",
    "at",
    "actor",
    "actor_name",
    "role",
    "action",
    "object_type",
    "object_id",
    "application",
    "level",
    "from_status",
    "to_status",
    "comment",
    "data",
)


# ---------------------------------------------------------------- verifying


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    entries: int
    first_bad_entry: int | None
    reason: str = ""


def _legacy_verdict(batch_size: int) -> tuple[AuditVerdict | None, int, str]:
    """Walk the legacy unkeyed chain; (a failure or None, its length, its last hash)."""
    prev, count, last_id = GENESIS, 0, 0
    while True:
        rows = list(
            AuditEntry.objects.filter(id__gt=last_id).exclude(hash="").order_by("id")[:batch_size]
        )
        if not rows:
            return None, count, prev
        for row in rows:
            count += 1
            if row.prev_hash != prev:
                return (
                    AuditVerdict(False, count, row.pk, "link to the previous entry is broken"),
                    count,
                    prev,
                )
            if row.compute_hash() != row.hash:
                return (
                    AuditVerdict(False, count, row.pk, "content does not match its hash"),
                    count,
                    prev,
                )
            prev, last_id = row.hash, row.pk


def audit_verify(batch_size: int = 2000, *, seal: bool = True) -> AuditVerdict:
    """Check every entry's key, the legacy chain, the sealed chain and every checkpoint.

    Seals first (what the beat would do next), so every committed entry is checked in the
    chain too. Reports the first entry that fails.
    """
    if seal:
        while audit_seal() == SEAL_BATCH:
            pass
    failure, legacy_count, legacy_head = _legacy_verdict(batch_size)
    if failure is not None:
        return failure
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != legacy_head or head.entries != legacy_count):
        return AuditVerdict(False, legacy_count, None, "the last entries were removed")
    checked = legacy_count
    chains: dict[int, str] = {}
    previous, expected, last_id = legacy_head, 0, 0
    # sealed entries in chain order, then the ones not sealed yet (their key only)
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=expected).order_by("seq")[:batch_size])
        if not rows:
            break
        for row in rows:
            checked += 1
            expected += 1
            if row.seq != expected:
                return AuditVerdict(False, checked, row.pk, "an entry before this one was removed")
            bad = _key_check(row)
            if bad:
                return AuditVerdict(False, checked, row.pk, bad)
            previous = chain_next(previous, entry_digest(row.payload(), row.mac))
            if previous != row.chain:
                return AuditVerdict(False, checked, row.pk, "the chain was re-computed")
            chains[row.seq] = previous
    sealed, sealed_chain = (head.sealed_seq, head.sealed_chain) if head else (0, "")
    if expected != sealed or (sealed and previous != sealed_chain):
        return AuditVerdict(False, checked, None, "the last sealed entries were removed")
    while True:
        rows = list(
            AuditEntry.objects.filter(seq__isnull=True, hash="", id__gt=last_id).order_by("id")[
                :batch_size
            ]
        )
        if not rows:
            break
        for row in rows:
            checked += 1
            last_id = row.pk
            bad = _key_check(row)
            if bad:
                return AuditVerdict(False, checked, row.pk, bad)
    trusted = auditkeys.trusted_public_keys()
    for point in AuditCheckpoint.objects.order_by("seq", "id"):
        key = trusted.get(point.public_key)
        if key is None or not signature_valid(key, point.signature, point.message()):
            return AuditVerdict(
                False, checked, None, f"checkpoint {point.seq} is not signed by a trusted key"
            )
        if point.legacy_head != legacy_head or point.legacy_entries != legacy_count:
            return AuditVerdict(
                False, checked, None, f"checkpoint {point.seq} anchors another legacy chain"
            )
        if point.seq and chains.get(point.seq) != point.chain:
            return AuditVerdict(
                False, checked, None, f"the entries do not chain to checkpoint {point.seq}"
            )
    return AuditVerdict(True, checked, None)


def _key_check(row: AuditEntry) -> str:
    key = auditkeys.hmac_key(row.key_id)
    if key is None:
        return f"the entry's key {row.key_id!r} is unknown"
    if entry_mac(key, row.payload()) != row.mac:
        return "content does not match its key (HMAC)"
    return ""


def audit_export() -> dict[str, Any]:
    """What an auditor takes away: the sealed entries and the checkpoints (see auditchain)."""
    audit_seal()
    head = AuditHead.objects.filter(pk=1).first()
    return {
        "format": "fundflow.audit/1",
        "legacy_head": head.last_hash if head else GENESIS,
        "legacy_entries": head.entries if head else 0,
        "entries": [
            {
                "id": row.pk,
                "seq": row.seq,
                "payload": row.payload(),
                "mac": row.mac,
                "key_id": row.key_id,
                "chain": row.chain,
            }
            for row in AuditEntry.objects.filter(seq__isnull=False).order_by("seq").iterator()
        ],
        "checkpoints": [p.as_dict() for p in AuditCheckpoint.objects.order_by("seq", "id")],
    }
