"""The plan's appendix table, as data: seeded by migration 0002 and by ``seed_demo``.

Targets are decimal strings per year; ``None`` is the plan's "–" (no target that year).
"""

from __future__ import annotations

PLAN_INDICATORS = [
    # number, code, name, name_en, unit, unit_en, kind, cumulative, (2021, 2022, 2023)
    (
        1,
        "sme-university-patents",
        "中小企业运用高校院所专利",
        "SMEs adopting university patents",
        "家",
        "SMEs",
        "count",
        True,
        ("30", "30", "100"),
    ),
    (
        2,
        "patent-contract-value-growth",
        "专利技术合同成交额增长",
        "Patent-technology contract value growth",
        "%",
        "%",
        "growth",
        False,
        ("40", "40", "40"),
    ),
    (
        3,
        "transfer-licence-growth",
        "知识产权转让许可次数增长",
        "IP transfers and licences growth",
        "%",
        "%",
        "growth",
        False,
        ("20", "20", "20"),
    ),
    (
        4,
        "pledge-financing-growth",
        "知识产权质押融资金额和笔数增长",
        "Pledge financing amount and count growth",
        "%",
        "%",
        "growth",
        False,
        ("30", "30", "30"),
    ),
    (
        5,
        "securitisation-products",
        "知识产权证券化产品",
        "IP securitisation products",
        "个",
        "products",
        "count",
        True,
        ("0", "0", "1"),
    ),
    (
        6,
        "industry-navigation-projects",
        "产业专利导航项目",
        "Industry navigation projects",
        "项",
        "projects",
        "count",
        True,
        ("1", "2", "5"),
    ),
    (
        7,
        "regional-trademark-brands",
        "区域商标品牌",
        "Regional trademark brands",
        "个",
        "brands",
        "count",
        True,
        (None, None, "1"),
    ),
    (
        8,
        "certified-organizations",
        "知识产权管理规范贯标认证单位",
        "Organisations certified to IP standards",
        "家",
        "organisations",
        "count",
        True,
        ("30", "70", "200"),
    ),
    (
        9,
        "smes-in-custody",
        "知识产权托管中小企业",
        "SMEs in IP custody",
        "家",
        "SMEs",
        "count",
        True,
        ("300", "300", "1000"),
    ),
    (
        10,
        "operation-platform",
        "区域知识产权运营平台",
        "Regional operation platform",
        "个",
        "platforms",
        "count",
        True,
        (None, None, "1"),
    ),
    (
        11,
        "industry-operation-centres",
        "产业知识产权运营中心",
        "Industry operation centres",
        "个",
        "centres",
        "count",
        True,
        ("1", "1", "3"),
    ),
    (
        12,
        "supported-service-agencies",
        "培育知识产权服务机构",
        "Supported service agencies",
        "家",
        "agencies",
        "count",
        True,
        ("1", "1", "3"),
    ),
]
PLAN_YEARS = (2021, 2022, 2023)


def plan_rows():
    for number, code, name, name_en, unit, unit_en, kind, cumulative, targets in PLAN_INDICATORS:
        yield {
            "number": number,
            "code": code,
            "name": name,
            "name_en": name_en,
            "unit": unit,
            "unit_en": unit_en,
            "kind": kind,
            "cumulative": cumulative,
            "targets": dict(zip((str(y) for y in PLAN_YEARS), targets, strict=True)),
        }


def seed_indicators(Indicator) -> None:
    """Create missing indicators; an administrator's later edits of existing ones are kept."""
    for row in plan_rows():
        Indicator.objects.get_or_create(code=row.pop("code"), defaults=row)
