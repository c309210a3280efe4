"""Reference data the rules app starts with (pure data: read by a migration and the demo)."""

# The accredited list the cert-subsidy rule set version 1 carried in a table cell, now the
# first entries of the administrator's registry (rules.models.CertificationBody).
CERTIFICATION_BODIES = [
    "中知（北京）认证有限公司",
    "中规（北京）认证有限公司",
    "中国质量认证中心",
    "华夏认证中心有限公司",
    "北京中经科环质量认证有限公司",
]
CERTIFICATION_BODIES_SOURCE = (
    "cert-subsidy 规则集第1版认可名单（2026-11-29 迁入登记表，认可证书编号和有效期待管理员核对）"
)
