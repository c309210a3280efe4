"""Rule actions: evaluate an application, and the life of a rule set version.

An application is judged by the programme's version in force when it was
submitted; a re-check uses the same version and adds a second evaluation to
the history. Versions go draft → validated → test cases pass → activated
(immutable, hashed).
"""

from __future__ import annotations

import copy
import multiprocessing
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from grants.audit import audit_record
from grants.errors import Conflict, InvalidInput
from grants.models import Application, Program, Role
from grants.selectors import program_is_live
from rules.compiler import validate
from rules.engine import content_sha256, evaluate
from rules.facts import NO_VOUCHER, facts_for, facts_schema
from rules.models import Evaluation, RuleSetVersion

TEST_TIMEOUT_SECONDS = 5


# ---------------------------------------------------------------- versions in force


def rule_set_in_force(program: Program, at=None) -> RuleSetVersion | None:
    at = at or timezone.now()
    return (
        RuleSetVersion.objects.filter(
            program=program, state=RuleSetVersion.State.ACTIVE, effective_from__lte=at
        )
        .order_by("-effective_from", "-number")
        .first()
    )


@lru_cache(maxsize=64)
def _validator(schema_key: str, schema_json: str) -> Draft202012Validator:
    import json

    return Draft202012Validator(json.loads(schema_json))


def check_facts(program: Program, facts: dict) -> None:
    import json

    schema = facts_schema(program)
    text = json.dumps(schema, sort_keys=True)
    errors = sorted(_validator(program.code, text).iter_errors(facts), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(map(str, first.path)) or "facts"
        raise InvalidInput(
            [{"field": where, "message": first.message}],
            detail=_("The facts do not fit the schema."),
        )


# ---------------------------------------------------------------- evaluation


@dataclass
class EvaluationResult:
    application: Application
    version: RuleSetVersion
    checks: list[dict[str, Any]]
    award_amount: Decimal | None
    facts: dict[str, Any]
    trace: dict[str, Any]
    purpose: str
    actor: Any
    record: Evaluation | None = field(default=None)

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [c for c in self.checks if c["passed"] is False and c["severity"] == "block"]

    @property
    def blocks(self) -> bool:
        return bool(self.blocking)

    @property
    def award_str(self) -> str | None:
        return None if self.award_amount is None else f"{self.award_amount:.2f}"

    @property
    def pk(self) -> int | None:
        return self.record.pk if self.record else None

    def checks_for_api(self) -> list[dict[str, Any]]:
        return [check_for_api(c) for c in self.checks]

    def save(self) -> Evaluation:
        self.record = Evaluation.objects.create(
            application=self.application,
            rule_set=self.version,
            rule_set_version=self.version.label,
            purpose=self.purpose,
            checks=self.checks,
            facts=self.facts,
            trace=self.trace,
            award_amount=self.award_amount,
            actor=self.actor if getattr(self.actor, "pk", None) else None,
        )
        return self.record


def check_for_api(stored: dict[str, Any]) -> dict[str, Any]:
    english = (get_language() or "").lower().startswith("en")
    return {
        "rule": stored["rule"],
        "version": stored["version"],
        "passed": stored["passed"],
        "severity": stored["severity"],
        "reason": stored["reason_en"] if english else stored["reason_zh"],
        "reasons": {"zh-hans": stored["reason_zh"], "en": stored["reason_en"]},
        "looked_at": stored.get("looked_at", {}),
    }


def evaluation_run(
    *,
    application: Application,
    actor,
    purpose: str,
    save: bool = True,
    version: RuleSetVersion | None = None,
    on=None,
) -> EvaluationResult:
    """Judge ``application`` by ``version`` (default: the version in force now), as of the date ``on``."""
    program = application.program
    version = version or rule_set_in_force(program)
    if version is None:
        raise Conflict(
            _("The programme “%(p)s” has no rule set in force.") % {"p": program.display_name}
        )
    facts = facts_for(application, on=on)
    check_facts(program, facts)
    outcome = evaluate(version.content, facts, sha=version.sha256 or None)
    result = EvaluationResult(
        application=application,
        version=version,
        checks=[v.as_dict(version.label) for v in outcome.verdicts],
        award_amount=outcome.award,
        facts=facts,
        trace=outcome.trace,
        purpose=purpose,
        actor=actor,
    )
    if save:
        result.save()
    return result


def evaluation_recheck(*, application: Application, actor) -> Evaluation:
    """Re-run the rules (e.g. after an attachment was replaced) by the version the application was submitted under."""
    first = application.evaluations.filter(purpose="submit").order_by("-created_at", "-id").first()
    version = (
        first.rule_set if first and first.rule_set_id else rule_set_in_force(application.program)
    )
    with transaction.atomic():
        result = evaluation_run(
            application=application, actor=actor, purpose="recheck", version=version, save=False
        )
        record = result.save()
        audit_record(
            actor=actor,
            action="rules.recheck",
            obj=application,
            application=application,
            role=Role.REVIEWER,
            level=application.level,
            data={
                "evaluation": result.pk,
                "version": version.label if version else None,
                "award_amount": result.award_str,
                "failed": [c["rule"] for c in result.checks if c["passed"] is not True],
            },
        )
    return record


# ---------------------------------------------------------------- versions


def deep_merge(base: dict, overrides: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def sample_facts(program: Program) -> dict[str, Any]:
    """A complete, schema-valid facts dictionary; test cases state only what differs from it."""
    return {
        "application": {"number": f"{program.number_prefix}-{program.year}-000001", "round": 1},
        "program": {
            "code": program.code,
            "kind": program.kind,
            "year": program.year,
            "cap_fen": None if program.cap is None else int(program.cap * 100),
            "allowed_org_kinds": list(program.allowed_org_kinds),
            "opens": timezone.localtime(program.opens).date().isoformat(),
            "closes": timezone.localtime(program.closes).date().isoformat(),
        },
        "organization": {
            "kind": (program.allowed_org_kinds or ["enterprise"])[0],
            "is_sme": True,
            "district": "650102",
            "city": "650100",
            "region": "650000",
            "uscc": "91650102MA0000001Q",
        },
        "submitted_on": timezone.localtime(program.opens).date().isoformat(),
        "fields": {f.name: None for f in program.fields.all()},
        "cost": {
            "counted_fen": 0,
            "excluded_fen": 0,
            "total_fen": 0,
            "lines": 0,
            "by_kind": {k.code: 0 for k in program.cost_line_kinds.all()},
        },
        "attachments": {"kinds": [a.code for a in program.attachment_kinds.all()]},
        "required": {
            "missing_fields": [],
            "missing_attachments": [],
            "missing_label_zh": "",
            "missing_label_en": "",
        },
        "history": {"same_certificate": {"count": 0, "numbers": ""}, "vouchers_this_year": 0},
        **copy.deepcopy(NO_VOUCHER),
        "certification_body": {"accredited": True, "registered_name": "中知（北京）认证有限公司"},
        "budget": {"available_fen": 100_000_000},
    }


def ruleset_validate(version: RuleSetVersion) -> list[dict[str, str]]:
    """Every problem of the draft, each naming its cell; stored on the version for the admin page."""
    errors = [e.as_dict() for e in validate(version.content, facts_schema(version.program))]
    if not isinstance(version.test_cases, list):
        errors.append({"field": "test_cases", "message": "a list of test cases"})
    else:
        base = sample_facts(version.program)
        schema = facts_schema(version.program)
        validator = Draft202012Validator(schema)
        for i, case in enumerate(version.test_cases):
            if not isinstance(case, dict) or not isinstance(case.get("expect"), dict):
                errors.append(
                    {"field": f"test_cases[{i}]", "message": "{name, facts, expect} expected"}
                )
                continue
            facts = deep_merge(base, case.get("facts") or {})
            problem = next(iter(validator.iter_errors(facts)), None)
            if problem is not None:
                where = ".".join(map(str, problem.path)) or "facts"
                errors.append(
                    {"field": f"test_cases[{i}].facts.{where}", "message": problem.message}
                )
    return errors


def _run_cases(
    content: dict, cases: list[tuple[str, dict, dict]], queue
) -> None:  # runs in a child process
    results = []
    try:
        for name, facts, expect in cases:
            outcome = evaluate(content, facts, trace=False)
            got = {v.rule: v.passed for v in outcome.verdicts}
            failures = []
            for rule, wanted in (expect.get("checks") or {}).items():
                if rule not in got:
                    failures.append(f"no rule “{rule}”")
                elif got[rule] is not wanted:
                    failures.append(f"{rule}: expected {wanted}, got {got[rule]}")
            if "award_fen" in expect and outcome.award_fen != expect["award_fen"]:
                failures.append(
                    f"award_fen: expected {expect['award_fen']}, got {outcome.award_fen}"
                )
            results.append({"name": name, "passed": not failures, "failures": failures})
        queue.put({"ok": True, "results": results})
    except Exception as exc:  # report, the parent decides
        queue.put({"ok": False, "error": str(exc).splitlines()[0] if str(exc) else repr(exc)})


def ruleset_run_tests(
    version: RuleSetVersion, *, timeout: float = TEST_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """Run the version's test cases in a child process with a time limit (a runaway expression is stopped)."""
    base = sample_facts(version.program)
    cases = [
        (case.get("name") or f"#{i + 1}", deep_merge(base, case.get("facts") or {}), case["expect"])
        for i, case in enumerate(version.test_cases or [])
    ]
    if not cases:
        return {
            "passed": False,
            "results": [],
            "error": _("A version needs at least one test case."),
        }
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_run_cases, args=(version.content, cases, queue), daemon=True)
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return {
            "passed": False,
            "results": [],
            "error": _(
                "The test cases did not finish within %(s)d seconds: an expression runs away."
            )
            % {"s": int(timeout)},
        }
    outcome = queue.get(timeout=1) if not queue.empty() else {"ok": False, "error": "no result"}
    if not outcome["ok"]:
        return {"passed": False, "results": [], "error": outcome["error"]}
    return {
        "passed": all(r["passed"] for r in outcome["results"]),
        "results": outcome["results"],
        "error": "",
    }


def ruleset_new_draft(
    *, program: Program, actor, from_version: RuleSetVersion | None = None
) -> RuleSetVersion:
    with transaction.atomic():
        Program.objects.select_for_update(no_key=True).filter(pk=program.pk).first()
        number = (
            RuleSetVersion.objects.filter(program=program).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        source = from_version or rule_set_in_force(program)
        draft = RuleSetVersion.objects.create(
            program=program,
            number=number,
            created_by=actor,
            content=copy.deepcopy(source.content) if source else {"tables": []},
            test_cases=copy.deepcopy(source.test_cases) if source else [],
        )
        audit_record(
            actor=actor,
            action="rules.draft",
            obj=draft,
            role=Role.ADMIN,
            data={
                "program": program.code,
                "number": number,
                "from": source.label if source else None,
            },
        )
    return draft


def ruleset_check(version: RuleSetVersion) -> dict[str, Any]:
    """Validate and run the test cases; the result is stored on the version and returned."""
    errors = ruleset_validate(version)
    tests = (
        ruleset_run_tests(version) if not errors else {"passed": False, "results": [], "error": ""}
    )
    report = {
        "at": timezone.now().isoformat(),
        "errors": errors,
        "tests": tests,
        "ok": not errors and tests["passed"],
    }
    RuleSetVersion.objects.filter(pk=version.pk).update(last_validation=report)
    version.last_validation = report
    return report


class NeedsDefinitionDraft(Conflict):
    """A programme that received applications changes its rules through a definition draft
    that a second administrator approves (``programs.versions``)."""

    slug = "definition-draft-needed"


def ruleset_activate(
    *, version: RuleSetVersion, actor, effective_from=None, definition_approved: bool = False
) -> RuleSetVersion:
    """Activate a draft whose cells validate and whose test cases pass; it becomes immutable and hashed.

    Once the programme has received its first application, only the approval of a programme
    definition draft by a second administrator activates a rule set (``definition_approved``):
    anything else raises ``NeedsDefinitionDraft``."""
    if version.state != RuleSetVersion.State.DRAFT:
        raise Conflict(_("Only a draft can be activated."))
    if not definition_approved and program_is_live(version.program):
        raise NeedsDefinitionDraft(
            _(
                "“%(p)s” has received applications: its rules change through a programme "
                "definition draft that a second administrator approves."
            )
            % {"p": version.program.display_name}
        )
    report = ruleset_check(version)
    if report["errors"]:
        raise RuleSetInvalidError(report["errors"])
    if not report["tests"]["passed"]:
        failing = [r for r in report["tests"]["results"] if not r["passed"]]
        message = report["tests"]["error"] or "; ".join(
            f"{r['name']}: {', '.join(r['failures'])}" for r in failing
        )
        raise InvalidInput(
            [{"field": "test_cases", "message": message}], detail=_("The test cases do not pass.")
        )
    with transaction.atomic():
        locked = RuleSetVersion.objects.select_for_update().get(pk=version.pk)
        if locked.state != RuleSetVersion.State.DRAFT:
            raise Conflict(_("Only a draft can be activated."))
        locked.sha256 = content_sha256({"content": locked.content, "test_cases": locked.test_cases})
        locked.state = RuleSetVersion.State.ACTIVE
        locked.effective_from = effective_from or timezone.now()
        locked.activated_at = timezone.now()
        locked.activated_by = actor
        locked.save()
        audit_record(
            actor=actor,
            action="rules.activate",
            obj=locked,
            role=Role.ADMIN,
            data={
                "program": locked.program.code,
                "number": locked.number,
                "sha256": locked.sha256,
                "effective_from": locked.effective_from.isoformat(),
            },
        )
    return locked


class RuleSetInvalidError(InvalidInput):
    slug = "rule-set-invalid"

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(errors, detail=_("The rule set has errors; each names its cell."))


def ruleset_preview(*, version: RuleSetVersion, limit: int = 50) -> list[dict[str, Any]]:
    """What would change on the programme's recent submitted applications if ``version`` judged them."""
    rows = []
    apps = (
        Application.objects.filter(program=version.program, submitted_at__isnull=False)
        .select_related("program", "organization__district")
        .order_by("-submitted_at")[:limit]
    )
    for app in apps:
        before = app.evaluations.order_by("-created_at", "-id").first()
        after = evaluation_run(
            application=app, actor=None, purpose="preview", save=False, version=version
        )
        old = {c["rule"]: c["passed"] for c in (before.checks if before else [])}
        new = {c["rule"]: c["passed"] for c in after.checks}
        changed = sorted(r for r in set(old) | set(new) if old.get(r) != new.get(r))
        old_award = before.award_amount if before else None
        rows.append(
            {
                "application": app,
                "number": app.number,
                "changed_rules": changed,
                "award_before": old_award,
                "award_after": after.award_amount,
                "changes": bool(changed) or old_award != after.award_amount,
            }
        )
    return rows
