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


def _bool_table(name, label_zh, label_en, severity, path, yes, no, fallback) -> dict[str, Any]:
    return {
        "name": name,
        "label_zh": label_zh,
        "label_en": label_en,
        "severity": severity,
        "inputs": [path],
        "rows": [
            {"when": ["true"], "passed": True, "reason_zh": yes[0], "reason_en": yes[1]},
            {"when": ["false"], "passed": False, "reason_zh": no[0], "reason_en": no[1]},
        ],
        "fallback": _fallback(*fallback),
    }


VOUCHER_USABLE = {
    "name": "voucher_usable",
    "label_zh": "服务券有效且未使用",
    "label_en": "Voucher unused",
    "severity": "block",
    "inputs": ["voucher.found", "voucher.status"],
    "rows": [
        {
            "when": ["false", ""],
            "passed": False,
            "reason_zh": "本申请没有对应的服务券兑付记录",
            "reason_en": "No voucher redemption belongs to this claim",
        },
        {
            "when": ["true", '"redeemed"'],
            "passed": True,
            "reason_zh": "服务券 {voucher.number} 已在本机构兑付，尚未使用",
            "reason_en": "Voucher {voucher.number} was redeemed here and is not used yet",
        },
        {
            "when": ["true", '"used"'],
            "passed": False,
            "reason_zh": "服务券 {voucher.number} 已使用，不得重复兑付",
            "reason_en": "Voucher {voucher.number} is already used",
        },
        {
            "when": ["true", '"expired", "void", "issued"'],
            "passed": False,
            "reason_zh": "服务券 {voucher.number} 状态为 {voucher.status}，不能兑付",
            "reason_en": "Voucher {voucher.number} is {voucher.status} and cannot be claimed",
        },
    ],
    "fallback": _fallback("服务券状态", "the voucher's status"),
}

VOUCHER_NOT_EXPIRED = {
    "name": "voucher_not_expired",
    "label_zh": "服务券在有效期内",
    "label_en": "Voucher not expired",
    "severity": "block",
    "inputs": ["voucher.valid_until"],
    "rows": [
        {
            "when": ["$ != null and date($) >= date(submitted_on)"],
            "passed": True,
            "reason_zh": "服务券有效期至 {voucher.valid_until}，申请日 {submitted_on} 在有效期内",
            "reason_en": "Voucher valid until {voucher.valid_until}; claimed on {submitted_on}",
        },
        {
            "when": ["$ != null and date($) < date(submitted_on)"],
            "passed": False,
            "reason_zh": "服务券已于 {voucher.valid_until} 到期（申请日 {submitted_on}）",
            "reason_en": "Voucher expired on {voucher.valid_until} (claimed on {submitted_on})",
        },
    ],
    "fallback": _fallback("服务券有效期", "the voucher's validity"),
}

VOUCHER_SME = _bool_table(
    "voucher_holder_sme",
    "持券单位为中小企业",
    "Voucher holder is an SME",
    "block",
    "voucher.sme_is_sme",
    ("持券单位为中小企业", "The voucher holder is an SME"),
    ("服务券仅面向中小企业，持券单位不是中小企业", "Service vouchers are for SMEs only"),
    ("持券单位是否中小企业", "whether the voucher holder is an SME"),
)

AGENCY_ON_CLAIM = _bool_table(
    "agency_admitted",
    "申请日服务机构在册",
    "Agency admitted on the claim date",
    "block",
    "agency.admitted",
    (
        "服务机构在申请日 {submitted_on} 已入驻集聚区",
        "The agency is admitted to the service cluster on {submitted_on}",
    ),
    (
        "服务机构在申请日 {submitted_on} 未入驻集聚区或已暂停、退出",
        "The agency is not admitted (or suspended or exited) on {submitted_on}",
    ),
    (
        "服务机构入驻情况（机构登记簿未覆盖）",
        "whether the agency is admitted (not in the registry)",
    ),
)

AGENCY_ON_CONTRACT = _bool_table(
    "agency_admitted_on_contract_date",
    "签约日服务机构在册",
    "Agency admitted on the contract date",
    "block",
    "agency.admitted_on_contract_date",
    (
        "服务机构在合同签订日 {voucher.contract_date} 已入驻集聚区",
        "The agency was admitted on the contract date {voucher.contract_date}",
    ),
    (
        "服务机构在合同签订日 {voucher.contract_date} 未入驻集聚区",
        "The agency was not admitted on the contract date {voucher.contract_date}",
    ),
    ("签约日服务机构入驻情况", "whether the agency was admitted on the contract date"),
)

SERVICE_ELIGIBLE = _bool_table(
    "service_eligible",
    "服务类型在支持范围",
    "Service eligible",
    "block",
    "voucher.service_eligible",
    (
        "服务类型 {voucher.service} 在服务券和机构的服务范围内",
        "Service {voucher.service} is covered by the voucher and offered by the agency",
    ),
    (
        "服务类型 {voucher.service} 不在服务券或机构的服务范围内",
        "Service {voucher.service} is not covered by the voucher or not offered by the agency",
    ),
    ("服务类型", "the service"),
)

WITHIN_VOUCHER = {
    "name": "claim_within_voucher",
    "label_zh": "申请金额不超过面额和合同价",
    "label_en": "Claim within face value and contract price",
    "severity": "block",
    "inputs": ["voucher.face_value_fen", "voucher.contract_price_fen", "cost.counted_fen"],
    "rows": [
        {
            "when": ["null", "", ""],
            "passed": False,
            "reason_zh": "没有服务券面额，无法核对申请金额",
            "reason_en": "No voucher face value to check the claim against",
        },
        {
            "when": ["", "null", ""],
            "passed": False,
            "reason_zh": "没有合同价款，无法核对申请金额",
            "reason_en": "No contract price to check the claim against",
        },
        {
            "when": ["", "", "> voucher.face_value_fen"],
            "passed": False,
            "reason_zh": "申请金额 {cost.counted_fen} 超过服务券面额 {voucher.face_value_fen}",
            "reason_en": "The claim {cost.counted_fen} exceeds the face value {voucher.face_value_fen}",
        },
        {
            "when": ["", "", "> voucher.contract_price_fen"],
            "passed": False,
            "reason_zh": "申请金额 {cost.counted_fen} 超过合同价款 {voucher.contract_price_fen}",
            "reason_en": "The claim {cost.counted_fen} exceeds the contract price {voucher.contract_price_fen}",
        },
        {
            "when": ["", "", "> 0"],
            "passed": True,
            "reason_zh": "申请金额 {cost.counted_fen} 不超过面额 {voucher.face_value_fen} 和合同价款 {voucher.contract_price_fen}",
            "reason_en": "The claim {cost.counted_fen} is within the face value {voucher.face_value_fen} and the "
            "contract price {voucher.contract_price_fen}",
        },
    ],
    "fallback": _fallback("申请金额", "the claimed amount"),
}

RELATED_PARTIES = {
    "name": "sme_agency_related",
    "label_zh": "企业与机构关联关系",
    "label_en": "SME and agency related",
    "severity": "warn",
    "inputs": [
        "collusion.shared_legal_representative",
        "collusion.shared_phone",
        "collusion.shared_address",
    ],
    "rows": [
        {
            "when": ["false", "false", "false"],
            "passed": True,
            "reason_zh": "未发现持券企业与服务机构共用法定代表人、电话或地址",
            "reason_en": "The SME and the agency share no legal representative, phone or address",
        },
        {
            "when": ["true", "", ""],
            "passed": False,
            "reason_zh": "持券企业与服务机构法定代表人相同，请核实是否关联交易",
            "reason_en": "The SME and the agency have the same legal representative: check for collusion",
        },
        {
            "when": ["", "true", ""],
            "passed": False,
            "reason_zh": "持券企业与服务机构联系电话相同，请核实是否关联交易",
            "reason_en": "The SME and the agency have the same phone number: check for collusion",
        },
        {
            "when": ["", "", "true"],
            "passed": False,
            "reason_zh": "持券企业与服务机构地址相同，请核实是否关联交易",
            "reason_en": "The SME and the agency have the same address: check for collusion",
        },
    ],
    "fallback": _fallback("关联关系", "whether the parties are related"),
}

DISTRICT_SHARE = {
    "name": "agency_district_share",
    "label_zh": "机构兑付集中度",
    "label_en": "Agency's share of the district",
    "severity": "warn",
    "inputs": ["collusion.district_redemptions", "collusion.agency_share_percent"],
    "rows": [
        {
            "when": ["< 10", ""],
            "passed": True,
            "reason_zh": "该区兑付 {collusion.district_redemptions} 张，数量较少，不作集中度判断",
            "reason_en": "Only {collusion.district_redemptions} redemptions in the district: too few to compare",
        },
        {
            "when": ["", "<= 50"],
            "passed": True,
            "reason_zh": "本机构兑付该区服务券的 {collusion.agency_share_percent}%（共 {collusion.district_redemptions} 张）",
            "reason_en": "The agency redeemed {collusion.agency_share_percent}% of the district's "
            "{collusion.district_redemptions} vouchers",
        },
        {
            "when": ["", "> 50"],
            "passed": False,
            "reason_zh": "本机构兑付了该区 {collusion.agency_share_percent}% 的服务券（共 {collusion.district_redemptions} 张），比例异常，请关注",
            "reason_en": "The agency redeemed {collusion.agency_share_percent}% of the district's "
            "{collusion.district_redemptions} vouchers: an unusual share",
        },
    ],
    "fallback": _fallback("兑付集中度", "the agency's share"),
}

AGENCY_STANDING = {
    "name": "agency_in_good_standing",
    "label_zh": "服务机构目前在册",
    "label_en": "Agency in good standing now",
    "severity": "warn",
    "inputs": ["agency.status", "agency.held"],
    "rows": [
        {
            "when": ['"admitted"', "false"],
            "passed": True,
            "reason_zh": "服务机构目前在册",
            "reason_en": "The agency is admitted",
        },
        {
            "when": ['"exited"', ""],
            "passed": False,
            "reason_zh": "服务机构已退出集聚区，兑付申请暂缓，请复核",
            "reason_en": "The agency has exited the cluster: the claim is held for review",
        },
        {
            "when": ["", "true"],
            "passed": False,
            "reason_zh": "服务机构已退出集聚区，兑付申请暂缓，请复核",
            "reason_en": "The agency has exited the cluster: the claim is held for review",
        },
        {
            "when": ['"suspended"', ""],
            "passed": False,
            "reason_zh": "服务机构目前暂停服务，请复核",
            "reason_en": "The agency is suspended at present: review the claim",
        },
    ],
    "fallback": _fallback("服务机构状态", "the agency's standing"),
}


def voucher_rule_set() -> dict:
    """The reimbursement claim an agency files for a redeemed voucher."""
    return copy.deepcopy(
        {
            "tables": [
                DISTRICT_IN_CITY,
                IN_WINDOW,
                ORG_KIND,
                REQUIRED,
                VOUCHER_USABLE,
                VOUCHER_SME,
                VOUCHER_NOT_EXPIRED,
                AGENCY_ON_CONTRACT,
                AGENCY_ON_CLAIM,
                SERVICE_ELIGIBLE,
                WITHIN_VOUCHER,
                award_table("服务费", "service fee"),
                RELATED_PARTIES,
                DISTRICT_SHARE,
                AGENCY_STANDING,
            ]
        }
    )


def voucher_issue_rule_set() -> dict:
    """Who may receive a voucher: evaluated on ``{"organization": {kind, is_sme, district, city}}``."""
    enterprise = {
        "name": "enterprise",
        "label_zh": "企业",
        "label_en": "Enterprise",
        "severity": "block",
        "inputs": ["organization.kind"],
        "rows": [
            {
                "when": ['"enterprise"'],
                "passed": True,
                "reason_zh": "持券单位为企业",
                "reason_en": "The holder is an enterprise",
            },
            {
                "when": ['$ != "enterprise"'],
                "passed": False,
                "reason_zh": "服务券只发给企业（单位类型 {organization.kind}）",
                "reason_en": "Vouchers go to enterprises only (kind {organization.kind})",
            },
        ],
        "fallback": _fallback("单位类型", "the organisation kind"),
    }
    return copy.deepcopy({"tables": [SME, DISTRICT_IN_CITY, enterprise]})


def voucher_test_cases(year: int) -> list[dict]:
    on = f"{year}-03-01"
    base: dict[str, Any] = {
        "submitted_on": on,
        "organization": {"kind": "service_agency"},
        "agency": {"admitted": True, "admitted_on_contract_date": True, "status": "admitted"},
        "voucher": {
            "found": True,
            "number": f"SVV-{year}-000001",
            "status": "redeemed",
            "sme_is_sme": True,
            "sme_city": "650100",
            "face_value_fen": 1_000_000,
            "valid_until": f"{year}-06-30",
            "service": "custody",
            "service_eligible": True,
            "contract_price_fen": 1_200_000,
            "contract_date": f"{year}-02-01",
        },
        "cost": {"counted_fen": 800_000, "excluded_fen": 0, "total_fen": 800_000},
    }

    def voucher(**changes) -> dict:
        return {**base, "voucher": {**base["voucher"], **changes}}

    return [
        _case(
            "admitted agency, redeemed voucher, within face value",
            base,
            {
                "voucher_usable": True,
                "voucher_holder_sme": True,
                "voucher_not_expired": True,
                "agency_admitted": True,
                "agency_admitted_on_contract_date": True,
                "service_eligible": True,
                "claim_within_voucher": True,
                "award_amount": True,
                "sme_agency_related": True,
                "agency_in_good_standing": True,
            },
            800_000,
        ),
        _case(
            "above the face value",
            {**base, "cost": {"counted_fen": 1_000_001}},
            {"claim_within_voucher": False},
        ),
        _case(
            "above the contract price",
            voucher(contract_price_fen=500_000),
            {"claim_within_voucher": False},
        ),
        _case("voucher used", voucher(status="used"), {"voucher_usable": False}),
        _case("voucher expired", voucher(status="expired"), {"voucher_usable": False}),
        _case(
            "claimed after the validity",
            voucher(valid_until=f"{year}-02-28"),
            {"voucher_not_expired": False},
        ),
        _case("holder not an SME", voucher(sme_is_sme=False), {"voucher_holder_sme": False}),
        _case("service not eligible", voucher(service_eligible=False), {"service_eligible": False}),
        _case(
            "agency unknown: manual review",
            {**base, "agency": {"admitted": None}},
            {"agency_admitted": None},
        ),
        _case(
            "agency exited before the claim",
            {**base, "agency": {"admitted": False, "status": "exited"}},
            {"agency_admitted": False, "agency_in_good_standing": False},
        ),
        _case(
            "agency not yet admitted when the contract was signed",
            {**base, "agency": {"admitted_on_contract_date": False}},
            {"agency_admitted_on_contract_date": False},
        ),
        _case(
            "shared legal representative warns",
            {**base, "collusion": {"shared_legal_representative": True}},
            {"sme_agency_related": False},
        ),
        _case(
            "60% of 20 redemptions in the district warns",
            {**base, "collusion": {"district_redemptions": 20, "agency_share_percent": 60}},
            {"agency_district_share": False},
        ),
        _case(
            "60% of 5 redemptions is too few to judge",
            {**base, "collusion": {"district_redemptions": 5, "agency_share_percent": 60}},
            {"agency_district_share": True},
        ),
        _case("no redemption", voucher(found=False), {"voucher_usable": False}),
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
