"""Letter actions: number, render, store, revoke, re-issue. Tasks, views and commands call these.

Issuing is three steps so that no lock is held while WeasyPrint renders:

1. ``letter_reserve`` (one transaction): lock the application, return the
   letter of this (application, kind, version) if it exists, else guard the state,
   find the issuing authority (of the level that decided), take the next number of
   its gap-free counter and insert the ``pending`` letter with its audit row. The number and the row commit together, so a
   rollback leaves no gap, and the unique constraint makes a second reserve
   of the same version find the first one.
2. ``letter_render``: the PDF/A bytes, from the letter's template version and
   the data fixed at reservation (date = numbering date), so a retry renders
   the same letter, signed with the issuing authority's key.
3. ``letter_store`` (one transaction): write the file, then lock the letter;
   if still ``pending`` record the SHA-256, mark it issued, supersede older
   versions of the same kind and, for an award letter, move the application
   ``approved → awarded``; else (another worker won) drop the file.

Kinds: the decision letter of an application (``award`` or ``refusal``) and the
acceptance certificate (``acceptance``, 验收证书) of a navigation project whose
last milestone was accepted. Each kind is its own chain of versions; the numbers of
all kinds come from the issuing authority's one series (机关代字〔year of issue〕N号);
the certificate never changes the application's status.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import cn2an
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from grants import kinds
from grants.audit import AuditEntry, audit_record
from grants.errors import Conflict, Forbidden, InvalidInput, NotFound
from grants.models import (
    Application,
    FieldType,
    Jurisdiction,
    Level,
    Program,
    Role,
    Status,
)
from grants.outbox import OutboxMessage, outbox_enqueue
from grants.selectors import has_role
from grants.services import next_in_sequence
from grants.transitions import transition
from letters.authorities import DEFAULT_REGULATION, default_authority
from letters.codes import code_grouped, code_new, code_read
from letters.models import (
    DECISION_KINDS,
    IssuingAuthority,
    Letter,
    LetterKind,
    LetterStatus,
    LetterTemplate,
    ProgramLetterSettings,
    ReissueBatch,
    TemplateKind,
    letter_path,
)
from letters.qr import qr_src, qr_svg, verify_url

log = logging.getLogger(__name__)

LEVEL_LABELS = {"district": "区（县）级", "city": "市级", "region": "自治区级"}


# ---------------------------------------------------------------- templates


def template_kind_for(*, program: Program, kind: str) -> str:
    """The shared template kind a programme without its own template of ``kind`` uses."""
    if kind == LetterKind.REFUSAL:
        return TemplateKind.REFUSAL
    if kind == LetterKind.ACCEPTANCE:
        return TemplateKind.ACCEPTANCE
    return kinds.hooks_for(program).award_template


def program_template(program: Program, kind: str) -> LetterTemplate | None:
    """The programme's own newest template of letter kind ``kind``, or None."""
    if program.pk is None:
        return None
    return LetterTemplate.objects.filter(program=program, kind=kind).order_by("-version").first()


def template_for(*, program: Program, kind: str) -> LetterTemplate:
    """The template a letter of ``kind`` of ``program`` is issued from: the programme's own
    newest version, else the shared template of its kind (the generic one for a programme
    of no particular kind, which states the programme's own fields by their labels)."""
    return program_template(program, kind) or template_current(
        template_kind_for(program=program, kind=kind)
    )


def program_letter_kinds(program: Program) -> list[str]:
    """The letter kinds a programme issues: award, refusal, and those its kind or steps add."""
    extra = [k for k in kinds.hooks_for(program).letter_kinds if k not in DECISION_KINDS]
    return [*DECISION_KINDS, *extra]


def program_templates(program: Program) -> dict[str, str]:
    """The programme's own templates, newest version per letter kind (the definition's)."""
    out: dict[str, str] = {}
    for kind in LetterKind.values:
        own = program_template(program, kind)
        if own is not None:
            out[kind] = own.body
    return out


def template_errors(body: Any, field: str) -> list[dict[str, Any]]:
    """The sandbox's problems with a letter template, at ``field`` (each names its line)."""
    from letters.sandbox import template_problems

    if not isinstance(body, str):
        return [{"field": field, "message": _("A template is text.")}]
    return [{"field": field, **problem} for problem in template_problems(body)]


def template_source(kind: str) -> str:
    """The shipped template file of a kind: version 1 until an administrator saves another.
    Read as text: letter templates are compiled by the sandbox engine, never the site's."""
    path = Path(settings.BASE_DIR) / "templates" / "letters" / f"{kind}.html"
    return path.read_text(encoding="utf-8")


SHIPPED = "templates/"  # the note of a version made from templates/letters/<kind>.html


def _shipped_note(kind: str) -> str:
    return f"{SHIPPED}{hashlib.sha256(template_source(kind).encode('utf-8')).hexdigest()[:12]}"


def template_current(kind: str) -> LetterTemplate:
    """The newest version of a kind. Version 1 is created from ``templates/letters/<kind>.html``;
    when that file changes (a new shipped template), its text becomes the next version, unless an
    administrator published a version of their own since (theirs stays current)."""
    note = _shipped_note(kind)
    shared = LetterTemplate.objects.filter(kind=kind, program__isnull=True)
    current = shared.order_by("-version").first()
    if current is None or (current.note.startswith(SHIPPED) and current.note != note):
        version = 1 if current is None else current.version + 1
        LetterTemplate.objects.bulk_create(
            [LetterTemplate(kind=kind, version=version, body=template_source(kind), note=note)],
            ignore_conflicts=True,
        )
        current = shared.latest("version")
    return current


def template_publish(
    *, actor, kind: str, body: str, note: str = "", program: Program | None = None
) -> LetterTemplate:
    """A new version of a letter template; letters issued from now on use it.

    Without ``program``: the shared template of a kind. With it: that programme's own
    template of letter kind ``kind`` (award, refusal, or a kind its steps add). The body
    runs in the sandbox (``letters.sandbox``): a template breaking its rules is refused,
    each problem naming its line."""
    if not has_role(actor, Role.ADMIN):
        raise Forbidden(_("Only administrators change letter templates."))
    allowed = (
        [k for k in TemplateKind.values if k != TemplateKind.AWARD]
        if program is None
        else program_letter_kinds(program)
    )
    if kind not in allowed:
        raise InvalidInput([{"field": "kind", "message": _("Unknown letter kind.")}])
    errors = template_errors(body, "body")
    if errors:
        raise InvalidInput(errors, detail=_("The letter template breaks the sandbox's rules."))
    with transaction.atomic():
        if program is None:
            template_current(kind)
        last = (
            LetterTemplate.objects.select_for_update()
            .filter(kind=kind, program=program)
            .order_by("-version")
            .first()
        )
        template = LetterTemplate.objects.create(
            program=program,
            kind=kind,
            version=(last.version if last else 0) + 1,
            body=body,
            note=note,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="letter_template.publish",
            obj=template,
            role=Role.ADMIN,
            data={
                "kind": kind,
                "version": template.version,
                "note": note,
                "program": program.code if program else None,
            },
        )
    return template


def template_render(template: LetterTemplate, context: dict[str, Any]) -> str:
    """Every stored template (shipped, an administrator's, a programme's) is compiled and
    rendered by the sandbox engine: it reaches only the official base layout and the letter's
    own data."""
    from letters.sandbox import render

    return render(template.body, context)


# ---------------------------------------------------------------- numbering


def authority_for(jurisdiction: Jurisdiction) -> IssuingAuthority:
    """The issuing authority of a jurisdiction, created from ``letters.authorities`` the first
    time it is needed (an administrator then sets the real name, 代字, seal and key)."""
    found = IssuingAuthority.objects.filter(jurisdiction=jurisdiction).first()
    if found is not None:
        return found
    name, prefix, review_body = default_authority(jurisdiction.code, jurisdiction.name)
    if jurisdiction.level == Level.CITY:  # LETTER_AUTHORITY / LETTER_NUMBER_PREFIX, if set
        name = str(settings.FUNDFLOW_LETTER_AUTHORITY)
        prefix = str(settings.FUNDFLOW_LETTER_PREFIX)
    with transaction.atomic():
        authority, _created = IssuingAuthority.objects.get_or_create(
            jurisdiction=jurisdiction,
            defaults={"name": name, "code_prefix": prefix, "reconsideration_body": review_body},
        )
    return authority


def authorities_ensure() -> None:
    """An authority for every jurisdiction (for the admin's list before any letter is issued)."""
    for jurisdiction in Jurisdiction.objects.filter(issuing_authority__isnull=True):
        authority_for(jurisdiction)


def letter_settings(program: Program) -> ProgramLetterSettings:
    """What a programme's letters cite; created with the defaults the first time it is needed."""
    found = ProgramLetterSettings.objects.filter(program=program).first()
    if found is not None:
        return found
    with transaction.atomic():
        found, _created = ProgramLetterSettings.objects.get_or_create(
            program=program, defaults={"regulation": DEFAULT_REGULATION}
        )
    return found


def deciding_level(app: Application, kind: str) -> str:
    """The level whose authority issues the letter: for a refusal the level that refused,
    otherwise the level the programme names for its awards and certificates."""
    if kind == LetterKind.REFUSAL:
        refusal = (
            AuditEntry.objects.filter(
                application=app, action="review.decision", data__decision="reject"
            )
            .exclude(level="")
            .order_by("-id")
            .first()
        )
        if refusal is not None:
            return refusal.level
    return letter_settings(app.program).issuer_level


def issuer_for(app: Application, kind: str) -> IssuingAuthority:
    """The authority of the deciding level over the applicant's district."""
    level = deciding_level(app, kind)
    district = app.organization.district
    places = Jurisdiction.objects.filter(code__in=district.path.split("/"))
    place = next((j for j in places if j.level == level), None) or district
    return authority_for(place)


def number_format(*, prefix: str, year: int, serial: int) -> str:
    """发文字号: 机关代字〔year〕serial号, the serial without padding (不编虚位)."""
    return f"{prefix}〔{year}〕{serial}号"


def letter_number_next(*, authority: IssuingAuthority, year: int) -> str:
    """Gap-free per 机关代字 and year of issue; call inside the letter's transaction, so a
    rollback returns the number. Every kind of letter of an authority shares the series."""
    key = f"letter:{authority.code_prefix}:{year}"
    return number_format(prefix=authority.code_prefix, year=year, serial=next_in_sequence(key))


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
        now = timezone.now()
        if version > 1:
            previous = Letter.objects.filter(
                application=app, kind=kind, version=version - 1
            ).first()
            if previous is None:
                raise Conflict(_("Version %(v)d has no previous version.") % {"v": version})
            number = previous.number  # a re-issue keeps its number, and so its issuer
            authority = previous.authority or issuer_for(app, kind)
        else:
            authority = issuer_for(app, kind)
            number = letter_number_next(authority=authority, year=timezone.localtime(now).year)
        template = template_for(program=app.program, kind=kind)
        letter = Letter.objects.create(
            application=app,
            kind=kind,
            version=version,
            template=template,
            number=number,
            code=code_new(),
            authority=authority,
            issuer_name=authority.name,
            organization_name=app.organization.name,
            organization_uscc=app.organization.uscc,
            program_name=app.program.name,
            # the certificate states the project's total award, like the award letter
            amount=app.award_amount if kind != LetterKind.REFUSAL else None,
            batch_id=batch_id,
            created_at=now,
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
                "issuer": authority.name,
                "batch": batch_id,
            },
        )
    return letter


def chinese_date(value) -> str:
    """2026年11月29日 (no padding); a date, a datetime (local) or an ISO date string."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    day = timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
    return f"{day.year}年{day.month}月{day.day}日"


def amount_in_capitals(amount: Decimal) -> str:
    """人民币大写, e.g. 35000.00 → 人民币叁万伍仟元整."""
    return "人民币" + cn2an.an2cn(f"{amount:.2f}", "rmb")


def money(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:,.2f}"


def _fact_value(field, value) -> str:
    if value in (None, ""):
        return ""
    if field.type == FieldType.DATE:
        return chinese_date(str(value))
    if field.type == FieldType.BOOLEAN:
        return "是" if value else "否"
    if field.type == FieldType.DECIMAL:
        try:
            return f"¥{Decimal(str(value)):,.2f}"
        except ArithmeticError:
            return str(value)
    return str(value)


def letter_facts(app: Application) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The facts the decision rests on, in the programme's words: each form field the
    applicant filled in with the programme's label, and the amounts that count toward the
    award (by cost kind). Never rule checks, budget figures or who reviewed it."""
    facts = []
    values = app.fields or {}
    for field in app.program.fields.order_by("position", "id"):
        text = _fact_value(field, values.get(field.name))
        if text:
            facts.append({"name": field.name, "label": field.label, "value": text})
    counting = {
        k.code: k.label for k in app.program.cost_line_kinds.filter(counts_toward_award=True)
    }
    totals: dict[str, Decimal] = {}
    for line in app.cost_lines.order_by("position", "id"):
        if line.kind in counting:
            totals[line.kind] = totals.get(line.kind, Decimal("0.00")) + line.amount
    amounts = [
        {"name": code, "label": counting[code], "value": f"¥{total:,.2f}"}
        for code, total in totals.items()
    ]
    return facts, amounts


def copy_recipients(app: Application, issuer: IssuingAuthority | None, extra: str) -> list[str]:
    """抄送: the authorities of the levels that decided this application (its last round), the
    city bureau (the fund's lead unit) when a district issues, then the programme's own list;
    never the issuer itself."""
    district = app.organization.district
    places = {j.level: j for j in Jurisdiction.objects.filter(code__in=district.path.split("/"))}
    decided = set(
        AuditEntry.objects.filter(
            application=app, action="review.decision", data__round=app.round
        ).values_list("level", flat=True)
    )
    if issuer is not None and places.get(Level.DISTRICT) == issuer.jurisdiction:
        decided.add(Level.CITY)
    names: list[str] = []
    for level in (Level.REGION, Level.CITY, Level.DISTRICT):
        place = places.get(level)
        if level in decided and place is not None:
            name = authority_for(place).name
            if issuer is None or name != issuer.name:
                names.append(name)
    for name in re.split(r"[、，,；;\s]+", extra or ""):
        if name and name not in names:
            names.append(name)
    return names


def mark_size_pt(name: str) -> float:
    """The size of the 发文机关标志: as large as 30 pt, never wider than the type area."""
    width = sum(0.5 if ord(c) < 0x2E80 else 1 for c in name) or 1
    return round(min(30.0, 440.0 / width), 1)  # 440 pt = 156 mm, less a little


def letter_context(letter: Letter) -> dict[str, Any]:
    """Everything a letter template may print; applicant text stays plain (autoescaped).

    What a person receives: who decided and on what facts, the amount, the route of appeal,
    who gets copies, how to verify it. Internal rule checks, warnings, budget figures and
    reviewers' user names are not in it at all (``approvals`` and ``checks``, which template
    versions saved before 2026-11 print, are empty)."""
    app = letter.application
    rules = letter_settings(app.program)
    authority = letter.authority or issuer_for(app, letter.kind)
    issuer_name = letter.issuer_name or authority.name
    refusal = (
        AuditEntry.objects.filter(
            application=app, action="review.decision", data__decision="reject"
        )
        .order_by("-id")
        .first()
        if letter.kind == LetterKind.REFUSAL
        else None
    )
    titles: dict[str, str] = {
        TemplateKind.CERTIFICATION: f"关于{letter.program_name}的通知",
        TemplateKind.GENERAL: f"关于给予{letter.program_name}资金支持的通知",
        TemplateKind.VOUCHER: f"关于兑付{letter.program_name}的通知",
        TemplateKind.NAVIGATION: f"关于{letter.program_name}立项支持的通知",
        TemplateKind.REFUSAL: f"关于{letter.program_name}申请不予支持的决定",
        TemplateKind.ACCEPTANCE: f"关于{letter.program_name}通过验收的通知",
    }
    shared_kind = (
        template_kind_for(program=app.program, kind=letter.kind)
        if letter.template.program_id
        else letter.template.kind
    )
    title = titles.get(shared_kind, letter.program_name)
    url = verify_url(letter.code)
    facts, amounts = letter_facts(app)
    context = {
        "authority": issuer_name,  # template versions before 2026-11 print this
        "issuer": {
            "name": issuer_name,
            "code_prefix": authority.code_prefix,
            "mark_pt": mark_size_pt(issuer_name),
        },
        "title": title,
        "number": letter.number,
        "version": letter.version,
        "organization": {"name": letter.organization_name, "uscc": letter.organization_uscc},
        "program": {"name": letter.program_name, "code": app.program.code},
        "application": {
            "number": app.number,
            "submitted_date": chinese_date(app.submitted_at) if app.submitted_at else "",
        },
        "regulation": rules.regulation,
        "fields": app.fields or {},
        "facts": facts,
        "amounts": amounts,
        "amount_figures": money(letter.amount),
        "amount_capitals": amount_in_capitals(letter.amount) if letter.amount is not None else "",
        "approvals": [],
        "checks": [],
        "refusal": {
            "level": LEVEL_LABELS.get(refusal.level, "") if refusal else "",
            "comment": refusal.comment if refusal else "",
            "date": chinese_date(refusal.at) if refusal else "",
        },
        "reconsideration": {
            "body": rules.reconsideration_body or authority.reconsideration_body,
            "days": rules.reconsideration_days,
            "months": rules.litigation_months,
        },
        "copy_to": copy_recipients(app, authority, rules.copy_to),
        "issued_date": chinese_date(letter.created_at),
        "code": code_grouped(letter.code),
        "verify_url": url,
        "verify_base": f"{settings.FUNDFLOW_SITE_URL}/verify/",
        "url_pt": 10.5 if len(url) <= 64 else 9 if len(url) <= 76 else 7.5,
        "qr_src": qr_src(letter.code),  # a PNG the renderer's fetcher draws from our own URL
        # inline SVG for template versions saved before qr_src; a callable, so drawn only if used
        "qr_svg": lambda: mark_safe(qr_svg(url)),
        "level_labels": dict(LEVEL_LABELS),
    }
    context.update(kinds.hooks_for(app.program).letter_context(letter))
    return context


def letter_html(letter: Letter) -> str:
    return template_render(letter.template, letter_context(letter))


def letter_render(letter: Letter) -> bytes:
    """Step 2: the PDF bytes (no transaction, no lock): PDF/A-3b, signed by the issuer."""
    from letters.pdf import render_letter  # WeasyPrint loads in workers, not in every web process

    rendered = render_letter(letter_html(letter))
    return letter_sign(letter, rendered)


def letter_sign(letter: Letter, rendered) -> bytes:
    """The rendered letter signed with its issuing authority's key; the seal image (if the
    authority has one) is the signature's appearance at the place the template reserved."""
    from letters import signing

    authority = letter.authority
    if authority is None:  # a re-issue of a letter numbered before authorities existed
        authority = issuer_for(letter.application, letter.kind)
    signer = signing.signer_for(
        jurisdiction_code=authority.jurisdiction_id,
        name=authority.name,
        signing_key=authority.signing_key,
    )
    seal = None
    if authority.seal and rendered.seal_box is not None:
        with authority.seal.open("rb") as handle:
            seal = handle.read()
    signed = signing.sign_pdf(
        rendered.pdf,
        signer=signer,
        name=letter.issuer_name or authority.name,
        reason=f"{letter.number} {letter.get_kind_display()}",
        location=authority.jurisdiction.name if authority.jurisdiction_id else "",
        page=rendered.seal_page or 0,
        box=rendered.seal_box,
        seal=seal,
    )
    letter.signed_by = signer.subject[:300]
    return signed


def letter_store(
    *, letter_id: int, pdf: bytes, render_ms: int | None = None, signed_by: str = ""
) -> Letter:
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
            letter.signed_by = signed_by
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
        letter_id=letter.pk,
        pdf=pdf,
        render_ms=round((time.perf_counter() - started) * 1000),
        signed_by=letter.signed_by,
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
    """The letter of a verification code: exactly as stored (codes issued before 2026-11 are
    case-sensitive URL-safe strings), else read the forgiving Crockford way (case, hyphens,
    spaces, I/L/O ignored or read as 1/0)."""
    letter = None
    if code and len(code) <= 80:
        issued = Letter.objects.exclude(status=LetterStatus.PENDING).select_related("application")
        letter = issued.filter(code=code).first()
        canonical = code_read(code) if letter is None else None
        if canonical is not None:
            letter = issued.filter(code=canonical).first()
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


VERIFY_MAX_BYTES = 5 * 1024 * 1024  # a letter is ~100 KB; anything this large is not one


def letter_verify_file(data: bytes) -> dict[str, Any]:
    """Is this PDF a letter we issued, and the version in force?

    The server compares the file's SHA-256 with the hashes of the letters it issued (one
    changed byte gives another hash) and checks the digital signature with pyHanko. ``valid``
    means: the very file we issued, not revoked or superseded, its signature (if it has one:
    letters issued before signatures have none) intact."""
    from letters import signing

    if not data.startswith(b"%PDF-"):
        raise InvalidInput([{"field": "file", "message": _("This is not a PDF file.")}])
    digest = hashlib.sha256(data).hexdigest()
    letter = (
        Letter.objects.filter(sha256=digest)
        .exclude(status=LetterStatus.PENDING)
        .select_related("application")
        .order_by("-version")
        .first()
    )
    report = signing.signature_check(data)
    if letter is None:
        result: dict[str, Any] = {
            "valid": False,
            "matched": False,
            "kind": None,
            "kind_label": None,
            "number": None,
            "organization": None,
            "program": None,
            "amount": None,
            "issued_at": None,
            "sha256": digest,
            "status": None,
            "code": None,
        }
    else:
        result = verification_dict(letter) | {
            "matched": True,
            "status": letter.status,
            "code": code_grouped(letter.code),
        }
        result["valid"] = letter.is_valid and (not report.present or report.intact)
    result["signature"] = report.as_dict()
    return result
