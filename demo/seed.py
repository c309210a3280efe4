"""The reference data and demo data of the contract (shared/spec/api.md), written idempotently."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from grants.models import (
    AttachmentKind,
    CostLineKind,
    FieldType,
    Jurisdiction,
    Level,
    Program,
    ProgramField,
    ProgramKind,
    Role,
    RoleAssignment,
    User,
)

JURISDICTIONS = [
    ("650000", "新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region", Level.REGION, None),
    ("650100", "乌鲁木齐市", "Urumqi", Level.CITY, "650000"),
    ("650102", "天山区", "Tianshan District", Level.DISTRICT, "650100"),
    ("650103", "沙依巴克区", "Saybagh District", Level.DISTRICT, "650100"),
    ("650104", "新市区（高新区）", "Xinshi District (High-tech Zone)", Level.DISTRICT, "650100"),
    ("650105", "水磨沟区", "Shuimogou District", Level.DISTRICT, "650100"),
    (
        "650106",
        "头屯河区（经开区）",
        "Toutunhe District (Economic Development Zone)",
        Level.DISTRICT,
        "650100",
    ),
    ("650107", "达坂城区", "Dabancheng District", Level.DISTRICT, "650100"),
    ("650109", "米东区", "Midong District", Level.DISTRICT, "650100"),
    ("650121", "乌鲁木齐县", "Urumqi County", Level.DISTRICT, "650100"),
]

DISTRICT_REVIEWERS = {
    "reviewer-tianshan": "650102",
    "reviewer-shayibake": "650103",
    "reviewer-xinshi": "650104",
    "reviewer-shuimogou": "650105",
    "reviewer-toutunhe": "650106",
    "reviewer-dabancheng": "650107",
    "reviewer-midong": "650109",
    "reviewer-wulumuqixian": "650121",
}

INDUSTRIES = [
    "先进结构材料",
    "装备制造",
    "化工",
    "新材料",
    "新能源",
    "信息产业",
    "生物医药",
    "纺织服装",
]

# Every programme takes other documents beside its own kinds (never required).
OTHER_DOCUMENTS = ("other", "其他材料", "Other documents", False)

CHAIN = [Level.DISTRICT.value, Level.CITY.value, Level.REGION.value]

PROGRAMS = [
    {
        "code": "cert-subsidy",
        "name": "知识产权管理规范贯标认证奖励",
        "name_en": "IP management standard certification subsidy",
        "kind": ProgramKind.CERTIFICATION,
        "number_prefix": "CS",
        "cap": Decimal("50000.00"),
        "allowed_org_kinds": ["enterprise", "university", "research_institute"],
        "description": "对通过 GB/T 29490、GB/T 33250、GB/T 33251 认证的单位，按实际支付的认证费给予奖励，"
        "不超额奖励，辅导、咨询、评价等费用不予奖补。",
        "fields": [
            (
                "standard",
                FieldType.CHOICE,
                "认证标准",
                "Standard",
                ["GB/T 29490", "GB/T 33250", "GB/T 33251"],
            ),
            ("certificate_number", FieldType.TEXT, "证书编号", "Certificate number", []),
            ("certification_body", FieldType.TEXT, "认证机构", "Certification body", []),
            ("certified_on", FieldType.DATE, "发证日期", "Certified on", []),
            ("valid_until", FieldType.DATE, "有效期至", "Valid until", []),
        ],
        "cost_line_kinds": [
            ("certification_fee", "认证费", "Certification fee", True),
            ("consulting_fee", "咨询费", "Consulting fee", False),
            ("coaching_fee", "辅导费", "Coaching fee", False),
            ("evaluation_fee", "评价费", "Evaluation fee", False),
        ],
        "attachment_kinds": [
            ("certificate", "认证证书", "Certificate", True),
            ("invoice", "认证费发票", "Certification fee invoice", True),
            OTHER_DOCUMENTS,
        ],
        "budget": [("central", Decimal("3000000.00")), ("city", Decimal("1000000.00"))],
    },
    {
        "code": "service-voucher",
        "name": "中小企业知识产权托管服务券",
        "name_en": "SME IP custody service vouchers",
        "kind": ProgramKind.VOUCHER,
        "number_prefix": "SV",
        "cap": Decimal("10000.00"),
        # the claim is filed by the agency that delivered the service; SMEs hold the vouchers
        "allowed_org_kinds": ["service_agency"],
        "description": "向中小企业发放服务券，在入驻集聚区的知识产权服务机构兑付托管等服务；"
        "服务机构凭服务合同和交付证明申请兑付。",
        "voucher_terms": {
            "validity_days": 180,
            "annual_quota": 1000,
            "eligible_services": [
                "custody",
                "patent_filing",
                "navigation",
                "early_warning",
                "valuation",
            ],
        },
        "fields": [
            (
                "service",
                FieldType.CHOICE,
                "服务类型",
                "Service",
                ["custody", "patent_filing", "navigation", "early_warning", "valuation"],
            ),
            ("agency_uscc", FieldType.TEXT, "服务机构统一社会信用代码", "Agency USCC", []),
            ("contract_number", FieldType.TEXT, "服务合同编号", "Contract number", []),
            ("contract_date", FieldType.DATE, "合同签订日期", "Contract date", []),
        ],
        "cost_line_kinds": [("service_fee", "服务费", "Service fee", True)],
        "attachment_kinds": [
            ("contract", "服务合同", "Service contract", True),
            ("delivery_proof", "服务交付证明", "Proof of delivery", True),
            OTHER_DOCUMENTS,
        ],
        "budget": [("central", Decimal("3000000.00"))],
    },
    {
        "code": "navigation",
        "name": "专利导航项目",
        "name_en": "Patent navigation projects",
        "kind": ProgramKind.NAVIGATION,
        "number_prefix": "PN",
        "cap": Decimal("500000.00"),
        "allowed_org_kinds": ["park", "association", "alliance", "enterprise"],
        # eligibility only: expert scoring, notice and the region's sign-off follow (navigation/)
        "levels": [Level.DISTRICT.value, Level.CITY.value],
        "description": "由园区、行业协会或产业联盟联合知识产权服务机构开展产业规划类专利导航，择优支持。",
        "fields": [
            ("industry", FieldType.CHOICE, "目标产业", "Target industry", INDUSTRIES),
            ("partner_agency", FieldType.TEXT, "合作服务机构", "Partner agency", []),
            ("deliverables", FieldType.TEXT, "预期成果", "Deliverables", []),
            ("duration_months", FieldType.INTEGER, "实施周期（月）", "Duration (months)", []),
        ],
        "cost_line_kinds": [
            ("navigation_service", "导航服务费", "Navigation service", True),
            ("data_purchase", "数据资源费", "Patent data", True),
            ("other", "其他费用", "Other", False),
        ],
        "attachment_kinds": [
            ("proposal", "项目申报书", "Proposal", True),
            ("cooperation_agreement", "合作协议", "Cooperation agreement", True),
            OTHER_DOCUMENTS,
        ],
        "budget": [("central", Decimal("2000000.00")), ("region", Decimal("500000.00"))],
    },
]

DEMO_PASSWORD = "demo-pass-2026"

# The expert pool of the navigation programme: every demo expert knows 新材料, plus others.
EXPERTS = [
    ("expert-1", "王建国", ["新材料", "先进结构材料"]),
    ("expert-2", "李文华", ["新材料", "化工"]),
    ("expert-3", "张晓燕", ["新材料", "新能源"]),
    ("expert-4", "刘志强", ["新材料", "装备制造"]),
    ("expert-5", "陈静", ["新材料", "信息产业"]),
    ("expert-6", "阿依古丽·买买提", ["新材料", "生物医药"]),
    ("expert-7", "赵海涛", ["新材料", "纺织服装", "先进结构材料"]),
    ("expert-8", "艾尔肯·吐尔逊", ["新材料", "新能源", "化工", "装备制造"]),
]


def seed_jurisdictions() -> None:
    for code, name, name_en, level, parent in JURISDICTIONS:
        Jurisdiction.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "level": level, "parent_id": parent},
        )


def _window(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        dt.datetime(year, 1, 1, tzinfo=zone),
        dt.datetime(year, 12, 31, 23, 59, 59, tzinfo=zone),
    )


def seed_programs(year: int, admin: User) -> list[Program]:
    from finance.models import Budget
    from finance.services.budget import budget_allocate

    programs = []
    for spec in PROGRAMS:
        opens, closes = _window(year)
        program, created = Program.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "name_en": spec["name_en"],
                "kind": spec["kind"],
                "year": year,
                "number_prefix": spec["number_prefix"],
                "levels": spec.get("levels", CHAIN),
                "cap": spec["cap"],
                "opens": opens,
                "closes": closes,
                "allowed_org_kinds": spec["allowed_org_kinds"],
                "description": spec["description"],
            },
        )
        if created:
            for i, (name, ftype, label, label_en, choices) in enumerate(spec["fields"]):
                ProgramField.objects.create(
                    program=program,
                    name=name,
                    type=ftype,
                    label=label,
                    label_en=label_en,
                    choices=choices,
                    position=i,
                )
            for i, (code, label, label_en, counts) in enumerate(spec["cost_line_kinds"]):
                CostLineKind.objects.create(
                    program=program,
                    code=code,
                    label=label,
                    label_en=label_en,
                    counts_toward_award=counts,
                    position=i,
                )
            for i, (code, label, label_en, required) in enumerate(spec["attachment_kinds"]):
                AttachmentKind.objects.create(
                    program=program,
                    code=code,
                    label=label,
                    label_en=label_en,
                    required=required,
                    position=i,
                )
        if spec.get("voucher_terms"):
            from agencies.models import VoucherTerms

            VoucherTerms.objects.get_or_create(program=program, defaults=spec["voucher_terms"])
        if not Budget.objects.filter(program=program, year=program.year, allocated__gt=0).exists():
            for source, amount in spec["budget"]:
                budget_allocate(
                    actor=admin,
                    program=program,
                    year=program.year,
                    amount=amount,
                    source=source,
                    reason=f"{program.year} 年度专项资金预算（演示数据）",
                )
        programs.append(program)
    return programs


def _user(username: str, display_name: str, **flags) -> User:
    defaults = {"display_name": display_name, "email": f"{username}@demo.fundflow.invalid", **flags}
    user, created = User.objects.get_or_create(username=username, defaults=defaults)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _role(user: User, role: str, level: str = "", jurisdiction: str | None = None) -> None:
    RoleAssignment.objects.get_or_create(
        user=user, role=role, level=level, jurisdiction_id=jurisdiction
    )


def seed_accounts() -> User:
    admin = _user("admin", "系统管理员", is_staff=True, is_superuser=True)
    _role(admin, Role.ADMIN)
    _role(_user("applicant", "申报单位经办人"), Role.APPLICANT)
    from grants.reviewers import reviewer_appoint

    for username, code in DISTRICT_REVIEWERS.items():
        place = Jurisdiction.objects.get(code=code)
        reviewer_appoint(user=_user(username, f"{place.name}初审"), jurisdiction=place, actor=admin)
    reviewer_appoint(
        user=_user("reviewer-city", "市级复审"),
        jurisdiction=Jurisdiction.objects.get(code="650100"),
        actor=admin,
    )
    reviewer_appoint(
        user=_user("reviewer-region", "自治区审核"),
        jurisdiction=Jurisdiction.objects.get(code="650000"),
        actor=admin,
    )
    _role(_user("finance", "财政经办"), Role.FINANCE)
    _role(_user("auditor", "审计"), Role.AUDITOR)
    _role(_user("agency", "服务机构经办人"), Role.APPLICANT)
    return admin


DEMO_AGENCY = {
    "name": "乌鲁木齐天山知识产权代理有限公司",
    "uscc": "91650102MA00AGCY0",  # check digit completed in seed_agency
    "district": "650102",
    "legal_representative": "艾力·买买提",
    "phone": "0991-5550100",
    "address": "乌鲁木齐市天山区光明路 1 号知识产权服务集聚区",
    "services": ["custody", "patent_filing", "navigation", "early_warning", "valuation"],
    # confirmed bank details, so that its claims can be paid (a demo account, not a real one)
    "bank_account_name": "乌鲁木齐天山知识产权代理有限公司",
    "bank_name": "中国工商银行股份有限公司乌鲁木齐光明路支行",
    "bank_account_number": "3002000109200012345",
    "cnaps_code": "102881000123",
}


def seed_agency(admin: User, year: int) -> None:
    """The demo account ``agency`` acts for one IP service agency admitted to the cluster."""
    from stdnum.cn import uscc as stdnum_uscc

    from agencies.models import Agency, AgencyStatusChange
    from grants.models import Membership, Organization

    body = DEMO_AGENCY["uscc"][:17]
    org, _created = Organization.objects.get_or_create(
        uscc=body + stdnum_uscc.calc_check_digit(body),
        defaults={
            "name": DEMO_AGENCY["name"],
            "kind": "service_agency",
            "district_id": DEMO_AGENCY["district"],
            "legal_representative": DEMO_AGENCY["legal_representative"],
            "phone": DEMO_AGENCY["phone"],
            "address": DEMO_AGENCY["address"],
        },
    )
    if not org.has_confirmed_bank_details:  # every demo organisation can be paid
        for key in ("bank_account_name", "bank_name", "bank_account_number", "cnaps_code"):
            setattr(org, key, DEMO_AGENCY[key])
        org.bank_confirmed_at = timezone.now()
        org.bank_confirmed_by = admin
        org.save()
    Membership.objects.get_or_create(
        user=User.objects.get(username="agency"),
        organization=org,
        defaults={"role": Membership.Role.ADMIN},
    )
    if not Agency.objects.filter(organization=org).exists():
        opens = dt.date(year, 1, 1)
        agency = Agency.objects.create(
            organization=org, services=DEMO_AGENCY["services"], admitted_on=opens
        )
        AgencyStatusChange.objects.create(
            agency=agency,
            to_status="admitted",
            effective_on=opens,
            reason="演示数据：入驻集聚区",
            actor=admin,
        )


def seed_experts() -> None:
    from experts.models import Expert

    for username, name, industries in EXPERTS:
        user = _user(username, f"评审专家 {name}")
        _role(user, Role.EXPERT)
        Expert.objects.get_or_create(user=user, defaults={"name": name, "industries": industries})


def seed_navigation_config(programs: list[Program]) -> None:
    from navigation.models import NavigationConfig

    for program in programs:
        if program.kind == ProgramKind.NAVIGATION:
            NavigationConfig.objects.get_or_create(program=program)


# The programmes whose rule set version 1 is seeded: rules/data/<programme code>.json.
RULE_SETS = ("cert-subsidy", "service-voucher", "navigation")


def seed_rule_sets(programs: list[Program], admin: User) -> None:
    """Version 1 of each demo programme's rule set, validated, tested and activated (idempotent)."""
    from rules import library
    from rules.models import RuleSetVersion
    from rules.services import ruleset_activate

    for program in programs:
        if program.code not in RULE_SETS or RuleSetVersion.objects.filter(program=program).exists():
            continue
        draft = RuleSetVersion.objects.create(
            program=program,
            number=1,
            content=library.rule_set(program.code),
            test_cases=library.test_cases(program.code, year=program.year),
            created_by=admin,
            notes="初始版本 / initial version",
        )
        ruleset_activate(version=draft, actor=admin, effective_from=program.opens)


# The programmes the demo defines as data only (fundflow.program/1 documents, years relative):
# the plan's other funded lines. No module names them; each file says everything they are.
DATA_PROGRAMS = Path(__file__).resolve().parent / "programs"
DATA_PROGRAM_BUDGET = Decimal("1000000.00")  # each, from the city, for the demo year


def data_programs(year: int) -> list[dict]:
    """The definitions of ``demo/programs/*.json`` for programme ``year``."""
    from programs.definition import from_data_file

    return [
        from_data_file(path.read_text(encoding="utf-8"), year)
        for path in sorted(DATA_PROGRAMS.glob("*.json"))
    ]


def seed_data_programs(year: int, admin: User) -> list[Program]:
    """Create each programme defined as data (once), with its budget for the year."""
    from finance.models import Budget
    from finance.services.budget import budget_allocate
    from programs.versions import program_create

    programs = []
    for document in data_programs(year):
        program = Program.objects.filter(code=document["code"]).first()
        if program is None:
            program = program_create(actor=admin, document=document, note="演示数据")
        if not Budget.objects.filter(program=program, year=program.year, allocated__gt=0).exists():
            budget_allocate(
                actor=admin,
                program=program,
                year=program.year,
                amount=DATA_PROGRAM_BUDGET,
                source="city",
                reason=f"{program.year} 年度专项资金预算（演示数据）",
            )
        programs.append(program)
    return programs


@transaction.atomic
def seed_demo(year: int) -> list[Program]:
    seed_jurisdictions()
    admin = seed_accounts()
    programs = seed_programs(year, admin)
    seed_rule_sets(programs, admin)
    seed_agency(admin, year)
    seed_experts()
    seed_navigation_config(programs)
    seed_data_programs(year, admin)
    from indicators.models import Indicator
    from indicators.plan import seed_indicators

    seed_indicators(Indicator)  # also a data migration; here too, for databases flushed by tests
    seed_certification_bodies()  # likewise
    return programs


def seed_certification_bodies() -> None:
    from rules.models import CertificationBody
    from rules.seeds import CERTIFICATION_BODIES, CERTIFICATION_BODIES_SOURCE

    for name in CERTIFICATION_BODIES:
        if not CertificationBody.objects.filter(name=name).exists():
            CertificationBody.objects.create(name=name, source=CERTIFICATION_BODIES_SOURCE)
