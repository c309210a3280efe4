"""The rule sets of the three demo programmes (version 1), with their test cases.

They are data: an administrator changes them in the admin as a new draft
version, validates, runs the test cases and a preview, and activates.
"""

from __future__ import annotations

import copy
from typing import Any

ACCREDITED_BODIES = [
    "中知（北京）认证有限公司",
    "中规（北京）认证有限公司",
    "中国质量认证中心",
    "华夏认证中心有限公司",
    "北京中经科环质量认证有限公司",
]


def _quoted(values: list[str]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def _fallback(what_zh: str, what_en: str) -> dict[str, str]:
    return {
        "reason_zh": f"无法自动判断{what_zh}，需人工审核",
        "reason_en": f"Could not decide {what_en} automatically: needs manual review",
    }


DISTRICT_IN_CITY = {
    "name": "district_in_city",
    "label_zh": "注册地在乌鲁木齐市",
    "label_en": "Registered in Urumqi",
    "severity": "block",
    "inputs": ["organization.city"],
    "rows": [
        {
            "when": ['"650100"'],
            "passed": True,
            "reason_zh": "单位注册地（区划代码 {organization.district}）属于乌鲁木齐市",
            "reason_en": "Registered in Urumqi (district {organization.district})",
        },
        {
            "when": ['$ != null and $ != "650100"'],
            "passed": False,
            "reason_zh": "单位注册地（区划代码 {organization.district}）不在乌鲁木齐市",
            "reason_en": "Not registered in Urumqi (district {organization.district})",
        },
    ],
    "fallback": _fallback("注册地", "the place of registration"),
}

IN_WINDOW = {
    "name": "submitted_in_window",
    "label_zh": "在申报期内提交",
    "label_en": "Submitted within the window",
    "severity": "block",
    "inputs": ["submitted_on"],
    "rows": [
        {
            "when": ["date($) >= date(program.opens) and date($) <= date(program.closes)"],
            "passed": True,
            "reason_zh": "提交日期 {submitted_on} 在申报期 {program.opens} 至 {program.closes} 内",
            "reason_en": "Submitted on {submitted_on}, within {program.opens} to {program.closes}",
        },
        {
            "when": ["date($) < date(program.opens) or date($) > date(program.closes)"],
            "passed": False,
            "reason_zh": "提交日期 {submitted_on} 不在申报期 {program.opens} 至 {program.closes} 内",
            "reason_en": "Submitted on {submitted_on}, outside {program.opens} to {program.closes}",
        },
    ],
    "fallback": _fallback("提交日期", "the submission date"),
}

ORG_KIND = {
    "name": "organization_kind",
    "label_zh": "申报单位类型",
    "label_en": "Organisation kind",
    "severity": "block",
    "inputs": ["organization.kind"],
    "rows": [
        {
            "when": ["$ in program.allowed_org_kinds"],
            "passed": True,
            "reason_zh": "单位类型 {organization.kind} 属于本项目支持范围（{program.allowed_org_kinds}）",
            "reason_en": "Organisation kind {organization.kind} is eligible ({program.allowed_org_kinds})",
        },
        {
            "when": ["not($ in program.allowed_org_kinds)"],
            "passed": False,
            "reason_zh": "单位类型 {organization.kind} 不在本项目支持范围（{program.allowed_org_kinds}）内",
            "reason_en": "Organisation kind {organization.kind} is not eligible ({program.allowed_org_kinds})",
        },
    ],
    "fallback": _fallback("单位类型", "the organisation kind"),
}

REQUIRED = {
    "name": "required_documents",
    "label_zh": "材料齐全",
    "label_en": "Complete file",
    "severity": "block",
    "inputs": ["required.missing_fields", "required.missing_attachments"],
    "rows": [
        {
            "when": ["len($) == 0", "len($) == 0"],
            "passed": True,
            "reason_zh": "必填项和必备附件齐全",
            "reason_en": "All required fields and attachments are present",
        },
        {
            "when": ["len($) > 0", ""],
            "passed": False,
            "reason_zh": "材料不全，缺少：{required.missing_label_zh}",
            "reason_en": "Incomplete: missing {required.missing_label_en}",
        },
        {
            "when": ["", "len($) > 0"],
            "passed": False,
            "reason_zh": "材料不全，缺少：{required.missing_label_zh}",
            "reason_en": "Incomplete: missing {required.missing_label_en}",
        },
    ],
    "fallback": _fallback("材料是否齐全", "whether the file is complete"),
}


def award_table(cost_zh: str, cost_en: str) -> dict[str, Any]:
    return {
        "name": "award_amount",
        "label_zh": "核定奖励金额",
        "label_en": "Award amount",
        "severity": "block",
        "inputs": ["cost.counted_fen", "program.cap_fen"],
        "rows": [
            {
                "when": ["<= 0", ""],
                "passed": False,
                "reason_zh": f"没有可计入奖励的{cost_zh}（其他费用 {{cost.excluded_fen}} 不予奖补）",
                "reason_en": f"No {cost_en} counts toward the award (other costs {{cost.excluded_fen}} are never funded)",
            },
            {
                "when": ["> 0", "null"],
                "passed": True,
                "set": {"award_fen": "cost.counted_fen"},
                "reason_zh": f"按{cost_zh} {{cost.counted_fen}} 核定奖励 {{award_fen}}；其他费用 {{cost.excluded_fen}} 不计入",
                "reason_en": f"Award {{award_fen}} equals the {cost_en} {{cost.counted_fen}}; other costs "
                "{cost.excluded_fen} not counted",
            },
            {
                "when": ["> program.cap_fen", ""],
                "passed": True,
                "set": {"award_fen": "program.cap_fen"},
                "reason_zh": f"{cost_zh} {{cost.counted_fen}} 超过上限 {{program.cap_fen}}，按上限核定；"
                "其他费用 {cost.excluded_fen} 不计入",
                "reason_en": f"{cost_en.capitalize()} {{cost.counted_fen}} exceeds the cap {{program.cap_fen}}; "
                "award set at the cap; other costs {cost.excluded_fen} not counted",
            },
            {
                "when": ["> 0", ""],
                "passed": True,
                "set": {"award_fen": "cost.counted_fen"},
                "reason_zh": f"按{cost_zh} {{cost.counted_fen}} 核定奖励 {{award_fen}}（上限 {{program.cap_fen}}）；"
                "其他费用 {cost.excluded_fen} 不计入",
                "reason_en": f"Award {{award_fen}} equals the {cost_en} {{cost.counted_fen}} (cap {{program.cap_fen}}); "
                "other costs {cost.excluded_fen} not counted",
            },
        ],
        "fallback": _fallback("奖励金额", "the award amount"),
    }


BUDGET = {
    "name": "budget_available",
    "label_zh": "预算可用额度",
    "label_en": "Budget available",
    "severity": "warn",
    "inputs": ["award_fen", "budget.available_fen"],
    "rows": [
        {
            "when": ["null", ""],
            "passed": True,
            "reason_zh": "未核定奖励金额，无需核对预算",
            "reason_en": "No award computed; nothing to check",
        },
        {
            "when": ["<= budget.available_fen", ""],
            "passed": True,
            "reason_zh": "奖励 {award_fen} 不超过可用预算 {budget.available_fen}",
            "reason_en": "Award {award_fen} is within the available budget {budget.available_fen}",
        },
        {
            "when": ["> budget.available_fen", ""],
            "passed": False,
            "reason_zh": "奖励 {award_fen} 超过可用预算 {budget.available_fen}，承诺资金时将择优排队或不予批准",
            "reason_en": "Award {award_fen} exceeds the available budget {budget.available_fen}; "
            "it will queue or be refused at commitment",
        },
    ],
    "fallback": _fallback("预算", "the budget"),
}

CERT_BODY = {
    "name": "certification_body_accredited",
    "label_zh": "认证机构经认可",
    "label_en": "Accredited certification body",
    "severity": "block",
    "inputs": ["fields.certification_body"],
    "rows": [
        {
            "when": [_quoted(ACCREDITED_BODIES)],
            "passed": True,
            "reason_zh": "认证机构“{fields.certification_body}”在认可名单内",
            "reason_en": "Certification body “{fields.certification_body}” is accredited",
        },
        {
            "when": ['$ != null and $ != ""'],
            "passed": False,
            "reason_zh": "认证机构“{fields.certification_body}”不在认可名单内",
            "reason_en": "Certification body “{fields.certification_body}” is not on the accredited list",
        },
    ],
    "fallback": _fallback("认证机构", "the certification body"),
}

CERT_VALID = {
    "name": "certificate_valid",
    "label_zh": "证书在有效期内",
    "label_en": "Certificate valid",
    "severity": "block",
    "inputs": ["fields.certified_on", "fields.valid_until"],
    "rows": [
        {
            "when": [
                "$ != null and date($) <= date(submitted_on)",
                "$ != null and date($) >= date(submitted_on)",
            ],
            "passed": True,
            "reason_zh": "证书 {fields.certified_on} 颁发，有效期至 {fields.valid_until}，提交日 {submitted_on} 在有效期内",
            "reason_en": "Certificate issued {fields.certified_on}, valid until {fields.valid_until}: valid on "
            "{submitted_on}",
        },
        {
            "when": ["", "$ != null and date($) < date(submitted_on)"],
            "passed": False,
            "reason_zh": "证书已于 {fields.valid_until} 过期（提交日 {submitted_on}）",
            "reason_en": "Certificate expired on {fields.valid_until} (submitted {submitted_on})",
        },
        {
            "when": ["$ != null and date($) > date(submitted_on)", ""],
            "passed": False,
            "reason_zh": "证书颁发日期 {fields.certified_on} 晚于提交日 {submitted_on}",
            "reason_en": "Certificate issued {fields.certified_on}, after the submission date {submitted_on}",
        },
    ],
    "fallback": _fallback("证书有效期", "the certificate's validity"),
}

CERT_UNIQUE = {
    "name": "certificate_not_claimed",
    "label_zh": "证书未重复申报",
    "label_en": "Certificate never claimed before",
    "severity": "block",
    "inputs": ["history.same_certificate.count"],
    "rows": [
        {
            "when": ["0"],
            "passed": True,
            "reason_zh": "证书编号 {fields.certificate_number} 未曾申报",
            "reason_en": "Certificate {fields.certificate_number} has not been claimed before",
        },
        {
            "when": ["> 0"],
            "passed": False,
            "reason_zh": "证书编号 {fields.certificate_number} 已由申报 {history.same_certificate.numbers} 申报，不得重复奖励",
            "reason_en": "Certificate {fields.certificate_number} was already claimed by application "
            "{history.same_certificate.numbers}",
        },
    ],
    "fallback": _fallback("证书是否重复申报", "whether the certificate was claimed"),
}

SME = {
    "name": "sme",
    "label_zh": "中小企业",
    "label_en": "SME",
    "severity": "block",
    "inputs": ["organization.is_sme"],
    "rows": [
        {
            "when": ["true"],
            "passed": True,
            "reason_zh": "申报单位为中小企业",
            "reason_en": "The applicant is an SME",
        },
        {
            "when": ["false"],
            "passed": False,
            "reason_zh": "服务券仅面向中小企业",
            "reason_en": "Service vouchers are for SMEs only",
        },
    ],
    "fallback": _fallback("是否中小企业", "whether the applicant is an SME"),
}

ONE_VOUCHER = {
    "name": "one_voucher_per_year",
    "label_zh": "每年限一张服务券",
    "label_en": "One voucher a year",
    "severity": "block",
    "inputs": ["history.vouchers_this_year"],
    "rows": [
        {
            "when": ["0"],
            "passed": True,
            "reason_zh": "本年度尚未申领服务券",
            "reason_en": "No voucher this year yet",
        },
        {
            "when": ["> 0"],
            "passed": False,
            "reason_zh": "本年度已申领 {history.vouchers_this_year} 张服务券，每家中小企业每年限一张",
            "reason_en": "Already {history.vouchers_this_year} voucher(s) this year; one per SME per year",
        },
    ],
    "fallback": _fallback("服务券数量", "the number of vouchers"),
}

AGENCY = {
    "name": "agency_admitted",
    "label_zh": "服务机构已入驻",
    "label_en": "Agency admitted",
    "severity": "block",
    "inputs": ["agency.admitted"],
    "rows": [
        {
            "when": ["true"],
            "passed": True,
            "reason_zh": "服务机构已入驻集聚区",
            "reason_en": "The agency is admitted to the service cluster",
        },
        {
            "when": ["false"],
            "passed": False,
            "reason_zh": "服务机构未入驻集聚区或已退出",
            "reason_en": "The agency is not admitted to the service cluster, or has exited",
        },
    ],
    "fallback": _fallback(
        "服务机构入驻情况（机构登记簿未覆盖）",
        "whether the agency is admitted (not in the registry)",
    ),
}


def _case(name: str, facts: dict, checks: dict, award_fen: int | None | str = "skip") -> dict:
    expect: dict[str, Any] = {"checks": checks}
    if award_fen != "skip":
        expect["award_fen"] = award_fen
    return {"name": name, "facts": facts, "expect": expect}


VALID_CERT = {
    "standard": "GB/T 29490",
    "certificate_number": "CERT-1",
    "certification_body": "中知（北京）认证有限公司",
    "certified_on": "2026-01-10",
    "valid_until": "2029-01-09",
}


def cert_rule_set() -> dict:
    return copy.deepcopy(
        {
            "tables": [
                DISTRICT_IN_CITY,
                IN_WINDOW,
                ORG_KIND,
                REQUIRED,
                CERT_BODY,
                CERT_VALID,
                CERT_UNIQUE,
                award_table("认证费", "certification fee"),
                BUDGET,
            ]
        }
    )


def cert_test_cases(year: int) -> list[dict]:
    on = f"{year}-03-01"
    fields = {**VALID_CERT, "certified_on": f"{year}-01-10", "valid_until": f"{year + 3}-01-09"}

    def claim(counted: int, excluded: int = 0, **extra) -> dict:
        return {
            "submitted_on": on,
            "fields": fields,
            "cost": {
                "counted_fen": counted,
                "excluded_fen": excluded,
                "total_fen": counted + excluded,
            },
            **extra,
        }

    return [
        _case(
            "35,000 fee + 8,000 consulting under the 50,000 cap",
            claim(3_500_000, 800_000),
            {"award_amount": True, "certificate_not_claimed": True, "district_in_city": True},
            3_500_000,
        ),
        _case("over the cap by one fen", claim(5_000_001), {"award_amount": True}, 5_000_000),
        _case("at the cap", claim(5_000_000), {"award_amount": True}, 5_000_000),
        _case("one fen below the cap", claim(4_999_999), {"award_amount": True}, 4_999_999),
        _case("only consulting fees", claim(0, 900_000), {"award_amount": False}, None),
        _case(
            "certificate claimed before",
            claim(
                3_000_000,
                history={"same_certificate": {"count": 1, "numbers": f"CS-{year}-000001"}},
            ),
            {"certificate_not_claimed": False},
        ),
        _case(
            "outside Urumqi",
            claim(100_000, organization={"city": "650200", "district": "650202"}),
            {"district_in_city": False},
        ),
        _case(
            "expired certificate",
            claim(100_000, fields={**fields, "valid_until": f"{year}-02-01"}),
            {"certificate_valid": False},
        ),
        _case(
            "unknown certification body",
            claim(100_000, fields={**fields, "certification_body": "某咨询公司"}),
            {"certification_body_accredited": False},
        ),
        _case(
            "no body given: manual review",
            claim(100_000, fields={**fields, "certification_body": None}),
            {"certification_body_accredited": None},
        ),
        _case(
            "park may not apply",
            claim(100_000, organization={"kind": "park"}),
            {"organization_kind": False},
        ),
        _case(
            "over the available budget warns",
            claim(3_000_000, budget={"available_fen": 1_000_000}),
            {"budget_available": False},
        ),
    ]


def voucher_rule_set() -> dict:
    return copy.deepcopy(
        {
            "tables": [
                DISTRICT_IN_CITY,
                IN_WINDOW,
                ORG_KIND,
                REQUIRED,
                SME,
                ONE_VOUCHER,
                AGENCY,
                award_table("服务费", "service fee"),
                BUDGET,
            ]
        }
    )


def voucher_test_cases(year: int) -> list[dict]:
    on = f"{year}-03-01"
    base = {
        "submitted_on": on,
        "agency": {"admitted": True},
        "cost": {"counted_fen": 800_000, "excluded_fen": 0, "total_fen": 800_000},
    }
    return [
        _case(
            "SME, first voucher, admitted agency",
            base,
            {
                "sme": True,
                "one_voucher_per_year": True,
                "agency_admitted": True,
                "award_amount": True,
            },
            800_000,
        ),
        _case(
            "face value caps the reimbursement",
            {**base, "cost": {"counted_fen": 1_500_000}},
            {"award_amount": True},
            1_000_000,
        ),
        _case("not an SME", {**base, "organization": {"is_sme": False}}, {"sme": False}),
        _case(
            "second voucher this year",
            {**base, "history": {"vouchers_this_year": 1}},
            {"one_voucher_per_year": False},
        ),
        _case(
            "agency unknown: manual review",
            {**base, "agency": {"admitted": None}},
            {"agency_admitted": None},
        ),
        _case("agency exited", {**base, "agency": {"admitted": False}}, {"agency_admitted": False}),
    ]


def navigation_rule_set() -> dict:
    return copy.deepcopy(
        {
            "tables": [
                DISTRICT_IN_CITY,
                IN_WINDOW,
                ORG_KIND,
                REQUIRED,
                award_table("导航项目经费", "navigation project cost"),
                BUDGET,
            ]
        }
    )


def navigation_test_cases(year: int) -> list[dict]:
    on = f"{year}-03-01"
    base = {
        "submitted_on": on,
        "organization": {"kind": "park"},
        "cost": {"counted_fen": 40_000_000, "excluded_fen": 500_000, "total_fen": 40_500_000},
    }
    return [
        _case(
            "park with a partner agency",
            base,
            {"organization_kind": True, "award_amount": True},
            40_000_000,
        ),
        _case(
            "above the cap",
            {**base, "cost": {"counted_fen": 80_000_000}},
            {"award_amount": True},
            50_000_000,
        ),
        _case(
            "university may not lead",
            {**base, "organization": {"kind": "university"}},
            {"organization_kind": False},
        ),
        _case(
            "submitted before the window",
            {**base, "submitted_on": f"{year - 1}-12-31"},
            {"submitted_in_window": False},
        ),
    ]


RULE_SETS = {
    "cert-subsidy": (cert_rule_set, cert_test_cases),
    "service-voucher": (voucher_rule_set, voucher_test_cases),
    "navigation": (navigation_rule_set, navigation_test_cases),
}


def seed_rule_sets(programs, admin) -> None:
    """Version 1 of each demo programme's rule set, validated, tested and activated (idempotent)."""
    from rules.models import RuleSetVersion
    from rules.services import ruleset_activate

    for program in programs:
        spec = RULE_SETS.get(program.code)
        if spec is None or RuleSetVersion.objects.filter(program=program).exists():
            continue
        build, cases = spec
        draft = RuleSetVersion.objects.create(
            program=program,
            number=1,
            content=build(),
            test_cases=cases(program.year),
            created_by=admin,
            notes="初始版本 / initial version",
        )
        ruleset_activate(version=draft, actor=admin, effective_from=program.opens)
