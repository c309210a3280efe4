"""The issuing authorities the demo jurisdictions start with (GB/T 2260 code → facts).

Each is the market-regulation bureau of its level: its full name (发文机关标志, 署名 and
印发机关), its 机关代字 (the head of its 发文字号, e.g. 乌知运〔2026〕12号) and the
复议机关 its decisions name (the people's government of the same level, under the
Administrative Reconsideration Law as revised in 2023).

The city's 乌知运 is the bureau's; **the other 代字 are placeholders** (天市监, 新市监…)
that an administrator replaces with the real ones in the admin (发文机关). A jurisdiction
not listed here gets ``<name>市场监督管理局`` and a placeholder 代字 until one is set.
"""

from __future__ import annotations

DEFAULT_AUTHORITIES: dict[str, tuple[str, str, str]] = {
    "650000": ("新疆维吾尔自治区市场监督管理局", "新市监", "新疆维吾尔自治区人民政府"),
    "650100": ("乌鲁木齐市市场监督管理局（知识产权局）", "乌知运", "乌鲁木齐市人民政府"),
    "650102": ("天山区市场监督管理局", "天市监", "乌鲁木齐市天山区人民政府"),
    "650103": ("沙依巴克区市场监督管理局", "沙市监", "乌鲁木齐市沙依巴克区人民政府"),
    "650104": ("新市区市场监督管理局", "新区市监", "乌鲁木齐市新市区人民政府"),
    "650105": ("水磨沟区市场监督管理局", "水市监", "乌鲁木齐市水磨沟区人民政府"),
    "650106": ("头屯河区市场监督管理局", "头市监", "乌鲁木齐市头屯河区人民政府"),
    "650107": ("达坂城区市场监督管理局", "达市监", "乌鲁木齐市达坂城区人民政府"),
    "650109": ("米东区市场监督管理局", "米市监", "乌鲁木齐市米东区人民政府"),
    "650121": ("乌鲁木齐县市场监督管理局", "乌县市监", "乌鲁木齐县人民政府"),
}

# What a programme's letters cite until its administrator names its own 管理办法.
DEFAULT_REGULATION = "乌鲁木齐市知识产权运营服务体系建设专项资金管理办法"


def default_authority(code: str, jurisdiction_name: str) -> tuple[str, str, str]:
    """(name, 代字, 复议机关) for a jurisdiction: the listed one, else derived placeholders."""
    if code in DEFAULT_AUTHORITIES:
        return DEFAULT_AUTHORITIES[code]
    base = jurisdiction_name.split("（", 1)[0]
    han = "".join(c for c in base if "\u4e00" <= c <= "\u9fa5") or "市"
    return f"{base}市场监督管理局", f"{han[0]}市监", f"{base}人民政府"
