"""Versions of a programme's definition, and the maker–checker rule for changing one.

- Before a programme received its first application, one administrator sets it up: directly
  in the admin as today, or by applying a definition (``draft_propose`` applies it at once).
  When the first application is submitted, the definition as it is then becomes the version
  in force (``record_submission``, called by ``workflows.lifecycle.submit``).
- Afterwards every change (rules included: ``rules.services.ruleset_activate`` refuses
  anything else) is a draft: ``draft_propose`` stores it, a second administrator reads its
  diff against the version in force (``draft_diff``) and approves it (``draft_approve``:
  applied in one transaction, it becomes the version in force) or rejects it. The one who
  drafted it cannot approve it.
- An application keeps the version it was submitted under (``version_of``): its chain,
  rules and award were fixed at submission, and that version's document stays readable.
- A new programme (``program_create``) or next year's (``program_clone``) starts at version 1.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.audit import audit_record
from grants.errors import Conflict, Forbidden, InvalidInput
from grants.models import Application, Program, Role
from grants.selectors import program_is_live
from grants.services import clean_text
from programs.definition import (
    DefinitionInvalid,
    clone_document,
    definition_apply,
    definition_errors,
    definition_export,
    document_sha256,
    parse_when,
    require_admin,
    schema_errors,
)
from programs.models import ProgramVersion

State = ProgramVersion.State


def version_in_force(program: Program) -> ProgramVersion | None:
    return ProgramVersion.objects.filter(program=program, state=State.ACTIVE).first()


def version_of(application: Application) -> ProgramVersion | None:
    """The definition version an application was submitted under (None before submission)."""
    if application.submitted_at is None:
        return None
    return (
        ProgramVersion.objects.filter(
            program_id=application.program_id,
            state__in=(State.ACTIVE, State.SUPERSEDED),
            activated_at__lte=application.submitted_at,
        )
        .order_by("-number")
        .first()
    )


def _next_number(program: Program) -> int:
    return (ProgramVersion.objects.filter(program=program).aggregate(n=Max("number"))["n"] or 0) + 1


def _activate(version: ProgramVersion, *, actor: Any) -> ProgramVersion:
    now = timezone.now()
    ProgramVersion.objects.filter(program_id=version.program_id, state=State.ACTIVE).exclude(
        pk=version.pk
    ).update(state=State.SUPERSEDED)
    version.state = State.ACTIVE
    version.activated_at = now
    version.save(update_fields=["state", "activated_at"])
    audit_record(
        actor=actor,
        action="program.version",
        obj=version.program,
        role=Role.ADMIN if getattr(actor, "pk", None) else "system",
        data={"number": version.number, "sha256": version.sha256, "note": version.note},
    )
    return version


def snapshot(*, program: Program, actor: Any, note: str = "") -> ProgramVersion:
    """The programme's definition as it is now becomes the version in force (unless it
    already is). In the caller's transaction."""
    document = definition_export(program)
    sha = document_sha256(document)
    current = version_in_force(program)
    if current is not None and current.sha256 == sha:
        return current
    version = ProgramVersion.objects.create(
        program=program,
        number=_next_number(program),
        state=State.SUPERSEDED,  # in force just below
        document=document,
        sha256=sha,
        based_on=current.number if current else None,
        note=note[:300],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    return _activate(version, actor=actor)


def record_submission(program: Program) -> None:
    """An application is being submitted: if it is the programme's first, the definition as
    it stands becomes the version in force (later changes need a second administrator)."""
    if not program_is_live(program):
        snapshot(program=program, actor=None, note=_("in force at the first submission"))


# ---------------------------------------------------------------- drafts


def diff_paths(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Every JSON path whose value differs, with both values (lists by position)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            out += diff_paths(before.get(key), after.get(key), sub)
        return out
    if isinstance(before, list) and isinstance(after, list):
        out = []
        for i in range(max(len(before), len(after))):
            out += diff_paths(
                before[i] if i < len(before) else None,
                after[i] if i < len(after) else None,
                f"{path}[{i}]",
            )
        return out
    return [] if before == after else [{"path": path, "before": before, "after": after}]


def _pretty(document: Any) -> list[str]:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).splitlines()


def draft_diff(version: ProgramVersion) -> dict[str, Any]:
    """What a draft changes against the version in force: the paths, and a unified diff."""
    current = version_in_force(version.program)
    before = current.document if current else {}
    return {
        "against": current.number if current else None,
        "paths": diff_paths(before, version.document),
        "unified": list(
            difflib.unified_diff(
                _pretty(before),
                _pretty(version.document),
                fromfile=f"v{current.number}" if current else "—",
                tofile=f"v{version.number}",
                lineterm="",
            )
        ),
    }


def draft_propose(*, actor: Any, program: Program, document: Any, note: str = "") -> ProgramVersion:
    """A changed definition of ``program``. Before its first application: applied at once
    (one administrator), the version in force. After: a draft for a second administrator."""
    require_admin(actor)
    note = clean_text(note, "note", required=False, max_length=300)
    errors = definition_errors(document)
    if errors:
        raise DefinitionInvalid(errors)
    if document["code"] != program.code or document["kind"] != program.kind:
        raise DefinitionInvalid(
            [
                {
                    "field": "code" if document["code"] != program.code else "kind",
                    "message": _("A programme keeps its code and its kind."),
                }
            ]
        )
    with transaction.atomic():
        Program.objects.select_for_update(no_key=True).filter(pk=program.pk).exists()
        if not program_is_live(program):
            definition_apply(actor=actor, document=document, program=program)
            return snapshot(program=program, actor=actor, note=note)
        if ProgramVersion.objects.filter(program=program, state=State.DRAFT).exists():
            raise Conflict(
                _("A draft of this programme waits already: approve or reject it first.")
            )
        current = version_in_force(program) or snapshot(
            program=program, actor=None, note=_("in force before the first draft")
        )
        if current.sha256 == document_sha256(document):
            raise InvalidInput([{"field": "document", "message": _("Nothing changes.")}])
        draft = ProgramVersion.objects.create(
            program=program,
            number=_next_number(program),
            state=State.DRAFT,
            document=document,
            sha256=document_sha256(document),
            based_on=current.number,
            note=note,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="program.draft",
            obj=program,
            role=Role.ADMIN,
            comment=note,
            data={"number": draft.number, "based_on": current.number, "sha256": draft.sha256},
        )
    return draft


def _locked_draft(version: ProgramVersion) -> ProgramVersion:
    Program.objects.select_for_update(no_key=True).filter(pk=version.program_id).exists()
    locked = ProgramVersion.objects.select_for_update().select_related("program").get(pk=version.pk)
    if locked.state != State.DRAFT:
        raise Conflict(
            _("Version %(n)d is %(s)s; only a draft is decided.")
            % {"n": locked.number, "s": locked.get_state_display()}
        )
    return locked


def draft_approve(*, actor: Any, version: ProgramVersion) -> ProgramVersion:
    """A second administrator approves a draft after reading its diff: it is applied (rules,
    letters, steps…) and becomes the version in force, in one transaction."""
    require_admin(actor)
    with transaction.atomic():
        draft = _locked_draft(version)
        if draft.created_by_id == actor.pk:
            raise Forbidden(
                _("Maker–checker: a second administrator approves the draft, not its author.")
            )
        current = version_in_force(draft.program)
        if current is not None and current.number != draft.based_on:
            raise Conflict(_("The definition changed since this draft was made; make a new draft."))
        definition_apply(actor=actor, document=draft.document, program=draft.program)
        draft.decided_by = actor
        draft.decided_at = timezone.now()
        draft.save(update_fields=["decided_by", "decided_at"])
        _activate(draft, actor=actor)
        # what is in force is what the programme now is (an export, hashed as such)
        exported = definition_export(draft.program)
        draft.document, draft.sha256 = exported, document_sha256(exported)
        draft.save(update_fields=["document", "sha256"])
    return draft


def draft_reject(*, actor: Any, version: ProgramVersion, reason: str) -> ProgramVersion:
    require_admin(actor)
    reason = clean_text(reason, "reason", max_length=300)
    with transaction.atomic():
        draft = _locked_draft(version)
        draft.state = State.REJECTED
        draft.decided_by = actor
        draft.decided_at = timezone.now()
        draft.reason = reason
        draft.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        audit_record(
            actor=actor,
            action="program.draft_reject",
            obj=draft.program,
            role=Role.ADMIN,
            comment=reason,
            data={"number": draft.number},
        )
    return draft


# ---------------------------------------------------------------- create and clone


class CodeTaken(Conflict):
    slug = "code-taken"


def program_create(*, actor: Any, document: Any, note: str = "") -> Program:
    """A new programme from its definition (one administrator: nobody applied yet). 422 with
    every problem at its path, 409 when the code is taken; nothing written in either case."""
    require_admin(actor)
    errors = schema_errors(document)
    if errors:
        raise DefinitionInvalid(errors)
    if Program.objects.filter(code=document["code"]).exists():
        raise CodeTaken(
            _("The code “%(c)s” is already taken by another programme.") % {"c": document["code"]}
        )
    with transaction.atomic():
        program = definition_apply(actor=actor, document=document)
        snapshot(program=program, actor=actor, note=note or _("created from its definition"))
    return program


def program_clone(
    *, actor: Any, program: Program, code: Any, year: Any, opens: Any, closes: Any
) -> Program:
    """The same programme for another year, in one call: its definition with a new code,
    year and window. Budgets are not copied (finance allocates next year's)."""
    require_admin(actor)
    errors = []
    if not isinstance(code, str) or not code:
        errors.append({"field": "code", "message": _("This is required.")})
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        errors.append({"field": "year", "message": _("A year from 2000 to 2100.")})
    for name, value in (("opens", opens), ("closes", closes)):
        if not isinstance(value, str) or parse_when(value) is None:
            errors.append({"field": name, "message": _("A date and time with its offset.")})
    if errors:
        raise InvalidInput(errors)
    document = clone_document(
        definition_export(program), code=code, year=year, opens=opens, closes=closes
    )
    return program_create(
        actor=actor, document=document, note=_("cloned from %(c)s") % {"c": program.code}
    )
