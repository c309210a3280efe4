"""Running a programme's checks on an application.

This first rule set is built in: completeness (required fields and
attachments), organisation kind, the award computed from the programme's
configuration (cost line kinds that count toward the award, capped), and the
budget. The versioned, administrator-edited decision tables of issue 4
replace ``builtin_checks``; the stored shape of an evaluation stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import get_language

from grants.models import Application
from rules.models import Evaluation

BUILTIN_VERSION = "builtin-1"
CENT = Decimal("0.01")


def yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


@dataclass
class Check:
    rule: str
    passed: bool
    severity: str  # block | warn | manual | info
    reason_zh: str
    reason_en: str
    version: str = BUILTIN_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "version": self.version,
            "passed": self.passed,
            "severity": self.severity,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }


@dataclass
class EvaluationResult:
    application: Application
    checks: list[Check]
    award_amount: Decimal | None
    facts: dict[str, Any]
    purpose: str
    actor: Any
    record: Evaluation | None = field(default=None)

    @property
    def blocking(self) -> list[Check]:
        return [c for c in self.checks if not c.passed and c.severity == "block"]

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
        return [check_for_api(c.as_dict()) for c in self.checks]

    def save(self) -> Evaluation:
        self.record = Evaluation.objects.create(
            application=self.application,
            rule_set_version=BUILTIN_VERSION,
            purpose=self.purpose,
            checks=[c.as_dict() for c in self.checks],
            facts=self.facts,
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
    }


def facts_for(application: Application) -> dict[str, Any]:
    program = application.program
    org = application.organization
    lines = list(application.cost_lines.all())
    counting = set(
        program.cost_line_kinds.filter(counts_toward_award=True).values_list("code", flat=True)
    )
    budget = program.budgets.filter(year=program.year).first()
    return {
        "program": {
            "code": program.code,
            "year": program.year,
            "cap": None if program.cap is None else str(program.cap),
            "allowed_org_kinds": list(program.allowed_org_kinds),
            "required_fields": [f.name for f in program.fields.all() if f.required],
            "required_attachments": [a.code for a in program.attachment_kinds.all() if a.required],
            "counting_kinds": sorted(counting),
        },
        "organization": {
            "id": org.pk,
            "kind": org.kind,
            "district": org.district_id,
            "is_sme": org.is_sme,
        },
        "fields": application.fields,
        "cost_lines": [
            {"kind": c.kind, "amount": str(c.amount), "reference": c.reference} for c in lines
        ],
        "attachments": sorted({a.kind for a in application.attachments.all()}),
        "budget": None
        if budget is None
        else {"allocated": str(budget.allocated), "available": str(budget.available)},
    }


def builtin_checks(
    facts: dict[str, Any], labels: dict[str, str]
) -> tuple[list[Check], Decimal | None]:
    checks: list[Check] = []
    program = facts["program"]

    missing_fields = [f for f in program["required_fields"] if facts["fields"].get(f) in (None, "")]
    checks.append(
        Check(
            "required_fields",
            not missing_fields,
            "block",
            "必填项齐全"
            if not missing_fields
            else "缺少必填项：" + "、".join(labels.get(f, f) for f in missing_fields),
            "All required fields are filled"
            if not missing_fields
            else "Missing required fields: " + ", ".join(missing_fields),
        )
    )
    missing_att = [a for a in program["required_attachments"] if a not in facts["attachments"]]
    checks.append(
        Check(
            "required_attachments",
            not missing_att,
            "block",
            "必备附件齐全"
            if not missing_att
            else "缺少附件：" + "、".join(labels.get("att:" + a, a) for a in missing_att),
            "All required attachments are present"
            if not missing_att
            else "Missing attachments: " + ", ".join(missing_att),
        )
    )
    allowed = program["allowed_org_kinds"]
    kind = facts["organization"]["kind"]
    kind_ok = not allowed or kind in allowed
    checks.append(
        Check(
            "organization_kind",
            kind_ok,
            "block",
            f"单位类型“{labels.get('kind:' + kind, kind)}”"
            + ("符合申报条件" if kind_ok else "不在本项目支持范围内"),
            f"Organisation kind “{kind}” "
            + ("is eligible" if kind_ok else "is not eligible for this programme"),
        )
    )

    counting = set(program["counting_kinds"])
    counted = sum(
        (Decimal(c["amount"]) for c in facts["cost_lines"] if c["kind"] in counting), Decimal("0")
    )
    excluded = sum(
        (Decimal(c["amount"]) for c in facts["cost_lines"] if c["kind"] not in counting),
        Decimal("0"),
    )
    cap = None if program["cap"] is None else Decimal(program["cap"])
    award: Decimal | None
    if counted <= 0:
        award = None
        checks.append(
            Check(
                "award_amount",
                False,
                "block",
                "没有可计入奖励的费用（仅认证费计入，辅导、咨询、评价等费用不计入）",
                "No cost counts toward the award (only the certification fee counts; coaching, consulting and evaluation fees never do)",
            )
        )
    else:
        award = counted if cap is None or counted <= cap else cap
        award = award.quantize(CENT, rounding=ROUND_HALF_UP)
        if cap is not None and counted > cap:
            zh = f"可计入费用 {yuan(counted)} 超过上限 {yuan(cap)}，按上限核定 {yuan(award)}"
            en = f"Eligible cost {yuan(counted)} exceeds the cap {yuan(cap)}; award set at the cap {yuan(award)}"
        else:
            zh = f"按可计入费用 {yuan(counted)} 核定奖励 {yuan(award)}"
            en = f"Award {yuan(award)} equals the eligible cost {yuan(counted)}"
        if excluded > 0:
            zh += f"；不计入的其他费用 {yuan(excluded)}"
            en += f"; other costs not counted: {yuan(excluded)}"
        checks.append(Check("award_amount", True, "info", zh, en))

    budget = facts["budget"]
    if award is not None:
        available = Decimal(budget["available"]) if budget else Decimal("0")
        ok = award <= available
        checks.append(
            Check(
                "budget_available",
                ok,
                "warn",
                f"奖励 {yuan(award)} "
                + ("不超过" if ok else "超过")
                + f"可用预算 {yuan(available)}",
                f"Award {yuan(award)} "
                + ("is within" if ok else "exceeds")
                + f" the available budget {yuan(available)}",
            )
        )
    return checks, award


def evaluation_run(
    *, application: Application, actor, purpose: str, save: bool = True
) -> EvaluationResult:
    program = application.program
    labels = {f.name: f.label for f in program.fields.all()}
    labels.update({"att:" + a.code: a.label for a in program.attachment_kinds.all()})
    from django.utils import translation

    from grants.models import OrganizationKind

    with translation.override(
        "zh-hans"
    ):  # reason_zh is always Chinese, whatever the request's language
        labels.update({"kind:" + k.value: str(k.label) for k in OrganizationKind})
    facts = facts_for(application)
    checks, award = builtin_checks(facts, labels)
    result = EvaluationResult(application, checks, award, facts, purpose, actor)
    if save:
        result.save()
    return result
