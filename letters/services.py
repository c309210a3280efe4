"""Letter actions: number, render, store, revoke, re-issue. Tasks, views and commands call these.

Issuing is three steps so that no lock is held while WeasyPrint renders:

1. ``letter_reserve`` (one transaction): lock the application, return the
   letter of this (application, kind, version) if it exists, else guard the state,
   take the next number of the gap-free counter and insert the ``pending``
   letter with its audit row. The number and the row commit together, so a
   rollback leaves no gap, and the unique constraint makes a second reserve
   of the same version find the first one.
2. ``letter_render``: the PDF bytes, from the letter's template version and
   the data fixed at reservation (date = numbering date), so a retry renders
   the same letter.
3. ``letter_store`` (one transaction): write the file, then lock the letter;
   if still ``pending`` record the SHA-256, mark it issued, supersede older
   versions of the same kind and, for an award letter, move the application
   ``approved → awarded``; else (another worker won) drop the file.

Kinds: the decision letter of an application (``award`` or ``refusal``) and the
acceptance certificate (``acceptance``, 验收证书) of a navigation project whose
last milestone was accepted. Each kind is its own chain of versions with its own
number series; the certificate never changes the application's status.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
import uuid
from decimal import Decimal
from typing import Any

import cn2an
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template import engines
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from grants import kinds
from grants.audit import AuditEntry, audit_record
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound
from grants.models import Application, Jurisdiction, Level, Program, Role, Status
from grants.outbox import OutboxMessage, outbox_enqueue
from grants.selectors import has_role
from grants.services import next_in_sequence
from grants.transitions import transition
from letters.models import (
    DECISION_KINDS,
    Letter,
    LetterKind,
    LetterStatus,
    LetterTemplate,
    ReissueBatch,
    TemplateKind,
    letter_path,
)
from letters.qr import qr_src, qr_svg, verify_url

log = logging.getLogger(__name__)

CODE_BYTES = 24  # 192 random bits, 32 URL-safe characters
DECISION_LABELS = {"approve": "同意", "return": "退回修改", "reject": "不予支持"}
LEVEL_LABELS = {"district": "区（县）级", "city": "市级", "region": "自治区级"}


# ---------------------------------------------------------------- templates


def template_kind_for(*, program: Program, kind: str) -> str:
    if kind == LetterKind.REFUSAL:
        return TemplateKind.REFUSAL
    if kind == LetterKind.ACCEPTANCE:
        return TemplateKind.ACCEPTANCE
    return kinds.hooks_for(program).award_template


def template_source(kind: str) -> str:
    """The shipped template file of a kind: version 1 until an administrator saves another."""
    from django.template.loader import get_template

    # the Django backend's template wraps the engine's Template (.template); the only backend here
    return get_template(f"letters/{kind}.html").template.source  # type: ignore[attr-defined]


def template_current(kind: str) -> LetterTemplate:
    """The newest version of a kind; version 1 is created from ``templates/letters/<kind>.html``."""
    current = LetterTemplate.objects.filter(kind=kind).order_by("-version").first()
    if current is None:
        LetterTemplate.objects.bulk_create(
            [LetterTemplate(kind=kind, version=1, body=template_source(kind), note="templates/")],
            ignore_conflicts=True,
        )
        current = LetterTemplate.objects.filter(kind=kind).latest("version")
    return current


def template_publish(*, actor, kind: str, body: str, note: str = "") -> LetterTemplate:
    """A new version of a letter template; letters issued from now on use it."""
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(_("Only administrators change letter templates."))
    if kind not in TemplateKind.values:
        raise InvalidInput([{"field": "kind", "message": _("Unknown letter kind.")}])
    try:
        engines["django"].from_string(body)
    except Exception as exc:  # a template that does not compile is refused, not published
        raise InvalidInput([{"field": "body", "message": str(exc)}]) from None
    with transaction.atomic():
        template_current(kind)
        last = LetterTemplate.objects.select_for_update().filter(kind=kind).order_by("-version")[0]
        template = LetterTemplate.objects.create(
            kind=kind, version=last.version + 1, body=body, note=note, created_by=actor
        )
        audit_record(
            actor=actor,
            action="letter_template.publish",
            obj=template,
            role=Role.ADMIN,
            data={"kind": kind, "version": template.version, "note": note},
        )
    return template


_compiled: dict[str, Any] = {}


def _compiled_template(template: LetterTemplate):
    # Keyed by the body's hash, not the row id: a version never changes, but an id can name
    # another row in another database (a restored backup, SQLite reusing ids after a rollback).
    key = hashlib.sha256(template.body.encode("utf-8")).hexdigest()
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = engines["django"].from_string(template.body)
    return compiled


# ---------------------------------------------------------------- numbering


# A letter number's series letter after the programme prefix: 乌知运〔2026〕PN-Y0001号 is the
# first acceptance certificate (验收) of the PN programme of 2026, CS-R0001 the first refusal.
NUMBER_SERIES: dict[str, str] = {
    LetterKind.AWARD: "",
    LetterKind.REFUSAL: "R",
    LetterKind.ACCEPTANCE: "Y",
}


def number_format(*, program: Program, kind: str, serial: int) -> str:
    prefix = settings.FUNDFLOW_LETTER_PREFIX
    series = NUMBER_SERIES[kind]
    return f"{prefix}〔{program.year}〕{program.number_prefix}-{series}{serial:04d}号"


def letter_number_next(*, program: Program, kind: str) -> str:
    """Gap-free per number prefix, programme year and kind; call inside the letter's transaction."""
    key = f"letter:{kind}:{program.number_prefix}:{program.year}"
    return number_format(program=program, kind=kind, serial=next_in_sequence(key))


# ---------------------------------------------------------------- issuing


def _may_issue(app: Application, kind: str) -> bool:
    """The state guard: which application states a letter of this kind may be issued in."""
    if kind == LetterKind.AWARD:
        return app.status in (Status.APPROVED, Status.AWARDED, Status.PAID)
    if kind == LetterKind.REFUSAL:
        return app.status == Status.REJECTED
    # a kind's own letters (navigation's acceptance certificate) have the kind's own guard
    guard = kinds.hooks_for(app.program).letter_kinds.get(kind)
    return guard is not None and guard(app)


def letter_reserve(
    *, application_id: int, kind: str, version: int = 1, batch_id: int | None = None
) -> Letter:
    """Step 1: the (application, kind, version) letter, numbered and ``pending`` (or as it is)."""
    with transaction.atomic():
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("program", "organization")
            .get(pk=application_id)
        )
        existing = Letter.objects.filter(application=app, kind=kind, version=version).first()
        if existing is not None:
            return existing
        if not _may_issue(app, kind):
            raise Conflict(
                _("The application is %(s)s; no %(k)s can be issued.")
                % {"s": app.get_status_display(), "k": kind}
            )
        if version > 1:
            previous = Letter.objects.filter(
                application=app, kind=kind, version=version - 1
            ).first()
            if previous is None:
                raise Conflict(_("Version %(v)d has no previous version.") % {"v": version})
            number = previous.number
        else:
            number = letter_number_next(program=app.program, kind=kind)
        template = template_current(template_kind_for(program=app.program, kind=kind))
        letter = Letter.objects.create(
            application=app,
            kind=kind,
            version=version,
            template=template,
            number=number,
            code=secrets.token_urlsafe(CODE_BYTES),
            organization_name=app.organization.name,
            organization_uscc=app.organization.uscc,
            program_name=app.program.name,
            # the certificate states the project's total award, like the award letter
            amount=app.award_amount if kind != LetterKind.REFUSAL else None,
            batch_id=batch_id,
        )
        audit_record(
            actor=None,
            action="letter.number",
            obj=letter,
            application=app,
            role="system",
            data={
                "number": number,
                "kind": kind,
                "version": version,
                "template": f"{template.kind} v{template.version}",
                "batch": batch_id,
            },
        )
    return letter


def chinese_date(value) -> str:
    day = timezone.localtime(value).date()
    return f"{day.year}年{day.month}月{day.day}日"


def amount_in_capitals(amount: Decimal) -> str:
    """人民币大写, e.g. 35000.00 → 人民币叁万伍仟元整."""
    return "人民币" + cn2an.an2cn(f"{amount:.2f}", "rmb")


def letter_context(letter: Letter) -> dict[str, Any]:
    """Everything a letter template may print; applicant text stays plain (autoescaped)."""
    app = letter.application
    org = app.organization
    places = {
        j.level: j.name for j in Jurisdiction.objects.filter(code__in=org.district.path.split("/"))
    }
    decisions = list(
        AuditEntry.objects.filter(
            application=app, action="review.decision", data__round=app.round
        ).order_by("id")
    )
    approvals = [
        {
            "level": LEVEL_LABELS.get(e.level, e.level),
            "jurisdiction": places.get(e.level, ""),
            "decision": DECISION_LABELS.get(e.data.get("decision"), e.data.get("decision")),
            "date": timezone.localtime(e.at).strftime("%Y-%m-%d"),
        }
        for e in decisions
    ]
    evaluation = app.evaluations.order_by("-created_at", "-id").first()
    checks = [
        {"rule": c.get("rule"), "passed": c.get("passed"), "reason": c.get("reason_zh", "")}
        for c in (evaluation.checks if evaluation else [])
    ]
    last = decisions[-1] if decisions else None
    titles: dict[str, str] = {
        TemplateKind.CERTIFICATION: "奖励通知书",
        TemplateKind.VOUCHER: "服务券兑付通知书",
        TemplateKind.NAVIGATION: "项目立项支持通知书",
        TemplateKind.REFUSAL: "不予支持通知书",
        TemplateKind.ACCEPTANCE: "专利导航项目验收证书",
    }
    title = titles[letter.template.kind]
    url = verify_url(letter.code)
    context = {
        "authority": settings.FUNDFLOW_LETTER_AUTHORITY,
        "title": title,
        "number": letter.number,
        "version": letter.version,
        "organization": {"name": letter.organization_name, "uscc": letter.organization_uscc},
        "program": {"name": letter.program_name, "code": app.program.code},
        "application": {"number": app.number},
        "fields": app.fields or {},
        "amount_figures": f"{letter.amount:,.2f}" if letter.amount is not None else "",
        "amount_capitals": amount_in_capitals(letter.amount) if letter.amount is not None else "",
        "approvals": approvals,
        "checks": checks,
        "refusal": {
            "level": LEVEL_LABELS.get(last.level, last.level) if last else "",
            "comment": last.comment if last else "",
        },
        "issued_date": chinese_date(letter.created_at),
        "code": letter.code,
        "verify_url": url,
        "qr_src": qr_src(letter.code),  # a PNG the renderer's fetcher draws from our own URL
        # inline SVG for template versions saved before qr_src; a callable, so drawn only if used
        "qr_svg": lambda: mark_safe(qr_svg(url)),
        "level_labels": dict(Level.choices),
    }
    context.update(kinds.hooks_for(app.program).letter_context(letter))
    return context


def letter_html(letter: Letter) -> str:
    return _compiled_template(letter.template).render(letter_context(letter))


def letter_render(letter: Letter) -> bytes:
    """Step 2: the PDF bytes (no transaction, no lock)."""
    from letters.pdf import render_pdf  # WeasyPrint loads in workers, not in every web process

    return render_pdf(letter_html(letter))


def letter_store(*, letter_id: int, pdf: bytes, render_ms: int | None = None) -> Letter:
    """Step 3: store the PDF with its SHA-256; issued, older versions of its kind superseded,
    and for an award letter the application awarded."""
    digest = hashlib.sha256(pdf).hexdigest()
    name = default_storage.save(letter_path(None, f"{uuid.uuid4().hex}.pdf"), ContentFile(pdf))
    stored = False
    try:
        with transaction.atomic():
            letter = Letter.objects.select_for_update().get(pk=letter_id)
            if letter.status != LetterStatus.PENDING:
                return letter  # another worker stored it first
            app = Application.objects.select_for_update().get(pk=letter.application_id)
            letter.pdf.name = name
            letter.sha256 = digest
            letter.size = len(pdf)
            letter.render_ms = render_ms
            letter.issued_at = timezone.now()
            letter.status = LetterStatus.ISSUED
            letter.save()
            superseded = list(
                Letter.objects.filter(
                    application=app,
                    kind=letter.kind,
                    version__lt=letter.version,
                    status=LetterStatus.ISSUED,
                ).values_list("pk", flat=True)
            )
            Letter.objects.filter(pk__in=superseded).update(status=LetterStatus.SUPERSEDED)
            issued = {
                "number": letter.number,
                "kind": letter.kind,
                "version": letter.version,
                "sha256": digest,
                "size": len(pdf),
                "superseded": superseded,
            }
            if letter.kind == LetterKind.AWARD and app.status == Status.APPROVED:
                transition(
                    app,
                    to=Status.AWARDED,
                    actor=None,
                    role="system",
                    action="letter.issue",
                    obj=letter,
                    data=issued,
                )
            else:
                audit_record(
                    actor=None,
                    action="letter.issue",
                    obj=letter,
                    application=app,
                    role="system",
                    from_status=app.status,
                    to_status=app.status,
                    data=issued,
                )
            stored = True
    finally:
        if not stored:
            default_storage.delete(name)
    return letter


def letter_issue(
    *, application_id: int, kind: str, version: int = 1, batch_id: int | None = None
) -> Letter:
    """Issue (or find) the letter of this application, kind and version. Safe to run again."""
    letter = letter_reserve(
        application_id=application_id, kind=kind, version=version, batch_id=batch_id
    )
    if letter.status != LetterStatus.PENDING:
        return letter
    letter = Letter.objects.select_related(
        "template", "application__organization__district", "application__program"
    ).get(pk=letter.pk)
    started = time.perf_counter()
    pdf = letter_render(letter)
    return letter_store(
        letter_id=letter.pk, pdf=pdf, render_ms=round((time.perf_counter() - started) * 1000)
    )


def letter_enqueue(*, application: Application, kind: str) -> None:
    """After the current transaction commits, a worker issues version 1 of the letter of this kind."""
    outbox_enqueue("letters.issue", application_id=application.pk, kind=kind, version=1)


# ---------------------------------------------------------------- revoke, re-issue


def letter_revoke(*, actor, letter: Letter, reason: str) -> Letter:
    """An administrator withdraws an issued letter; verification then says it is revoked."""
    reason = (reason or "").strip()
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(_("Only administrators revoke letters."))
    if not reason:
        raise InvalidInput([{"field": "reason", "message": _("Give the reason.")}])
    with transaction.atomic():
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        if locked.status not in (LetterStatus.ISSUED, LetterStatus.SUPERSEDED):
            raise Conflict(
                _("The letter is %(s)s; it cannot be revoked.") % {"s": locked.get_status_display()}
            )
        from_status = locked.status
        locked.status = LetterStatus.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason[:300]
        locked.save(update_fields=["status", "revoked_at", "revoked_reason"])
        audit_record(
            actor=actor,
            action="letter.revoke",
            obj=locked,
            application=locked.application,
            role=Role.ADMIN,
            from_status=from_status,
            to_status=LetterStatus.REVOKED,
            comment=reason,
            data={"number": locked.number, "version": locked.version},
        )
    return locked


def letters_reissue(
    *, actor, reason: str, program: Program | None = None, kind: str = ""
) -> ReissueBatch:
    """Re-issue every current letter (of a programme, of a kind) as a new version, by the workers.

    Each letter continues its own kind's chain: an application's award letter and its
    acceptance certificate are re-issued (and superseded) independently."""
    reason = (reason or "").strip()
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(_("Only administrators re-issue letters."))
    if not reason:
        raise InvalidInput([{"field": "reason", "message": _("Give the reason.")}])
    if kind and kind not in LetterKind.values:
        raise InvalidInput([{"field": "kind", "message": _("Unknown letter kind.")}])
    current = Letter.objects.filter(status=LetterStatus.ISSUED)
    if program is not None:
        current = current.filter(application__program=program)
    if kind:
        current = current.filter(kind=kind)
    jobs = list(current.values_list("application_id", "kind", "version"))
    with transaction.atomic():
        batch = ReissueBatch.objects.create(
            reason=reason, program=program, kind=kind, total=len(jobs), created_by=actor
        )
        audit_record(
            actor=actor,
            action="letter.reissue",
            obj=batch,
            role=Role.ADMIN,
            comment=reason,
            data={"program": program.code if program else None, "kind": kind, "total": len(jobs)},
        )
        for application_id, letter_kind, version in jobs:
            outbox_enqueue(
                "letters.issue",
                application_id=application_id,
                kind=letter_kind,
                version=version + 1,
                batch_id=batch.pk,
            )
    return batch


def letters_pending_resume(now: dt.datetime | None = None) -> int:
    """Hand every stale ``pending`` letter back to a worker (see ``letters.sweep_pending``)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.FUNDFLOW_OUTBOX_STALE_SECONDS)
    waiting = {
        (m["application_id"], m["kind"], m["version"])
        for m in OutboxMessage.objects.filter(
            task="letters.issue", done_at__isnull=True
        ).values_list("kwargs", flat=True)
        if isinstance(m, dict) and {"application_id", "kind", "version"} <= set(m)
    }
    resumed = 0
    with transaction.atomic():
        for letter in Letter.objects.filter(status=LetterStatus.PENDING, created_at__lt=stale):
            if (letter.application_id, letter.kind, letter.version) in waiting:
                continue  # the outbox sweep hands that one over
            outbox_enqueue(
                "letters.issue",
                application_id=letter.application_id,
                kind=letter.kind,
                version=letter.version,
                batch_id=letter.batch_id,
            )
            resumed += 1
    return resumed


# ---------------------------------------------------------------- reading


def letter_current(
    application: Application, *, kinds: tuple[str, ...] = DECISION_KINDS
) -> Letter | None:
    """The valid letter of these kinds (newest issued version), or None.

    By default the application's decision letter (award letter or refusal notice),
    never its acceptance certificate: ``kinds=(LetterKind.ACCEPTANCE,)`` asks for that.
    """
    return (
        Letter.objects.filter(application=application, kind__in=kinds, status=LetterStatus.ISSUED)
        .order_by("-version", "-id")
        .first()
    )


def acceptance_certificate(application: Application) -> Letter | None:
    """The acceptance certificate in force (a navigation project's), or None (for the buttons)."""
    return letter_current(application, kinds=(LetterKind.ACCEPTANCE,))


def letter_by_code(code: str) -> Letter:
    letter = (
        Letter.objects.filter(code=code)
        .exclude(status=LetterStatus.PENDING)
        .select_related("application")
        .first()
        if code and len(code) <= 64
        else None
    )
    if letter is None:
        raise NotFound(_("No letter has this verification code."))
    return letter


def verification_dict(letter: Letter) -> dict[str, Any]:
    return {
        "valid": letter.is_valid,
        "kind": letter.kind,
        "kind_label": str(letter.get_kind_display()),  # in the caller's language
        "number": letter.number,
        "organization": letter.organization_name,
        "program": letter.program_name,
        "amount": None if letter.amount is None else f"{letter.amount:.2f}",
        "issued_at": timezone.localtime(letter.issued_at) if letter.issued_at else None,
        "sha256": letter.sha256,
    }
