"""The append-only, hash-chained audit log.

``audit_record`` must be called inside the transaction of the change it
records. Each entry's hash covers its content and the previous entry's hash,
so editing or deleting any row breaks the chain from there on, which
``audit_verify`` (``manage.py audit_verify``, ``GET /api/v1/audit/verify``)
reports. Appends are serialised by a row lock on the single ``AuditHead`` row,
which works across any number of processes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # grants.models imports this module at its end
    from grants.models import Application, User

GENESIS = "0" * 64


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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("audit entries are append-only")

    def compute_hash(self) -> str:
        return entry_hash(self.prev_hash, self.payload())

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
    """One row: the hash of the last entry. Locking it serialises appends."""

    last_hash = models.CharField(max_length=64, default=GENESIS)
    entries = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.entries} entries, last {self.last_hash[:12]}…"


def entry_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    body = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


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
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.bulk_create([AuditHead(pk=1)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(pk=1)
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
        prev_hash=head.last_hash,
    )
    entry.hash = entry.compute_hash()
    entry.save()
    AuditHead.objects.filter(pk=1).update(last_hash=entry.hash, entries=models.F("entries") + 1)
    return entry


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    entries: int
    first_bad_entry: int | None
    reason: str = ""


def audit_verify(batch_size: int = 2000) -> AuditVerdict:
    """Walk the chain in id order; report the first entry whose hash or link does not hold."""
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not rows:
            break
        for row in rows:
            count += 1
            if row.prev_hash != prev:
                return AuditVerdict(False, count, row.pk, "link to the previous entry is broken")
            if row.compute_hash() != row.hash:
                return AuditVerdict(False, count, row.pk, "content does not match its hash")
            prev = row.hash
            last_id = row.pk
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.entries != count):
        return AuditVerdict(False, count, None, "the last entries were removed")
    return AuditVerdict(True, count, None)
