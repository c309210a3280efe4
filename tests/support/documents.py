"""Valid documents: the smallest PDF the upload checks accept, 统一社会信用代码, certificate fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def make_uscc(serial: int, district: str = "650102") -> str:
    """A valid 统一社会信用代码 for an enterprise registered in ``district``."""
    body = f"91{district}MA{serial:07d}"[:17]
    return body + stdnum_uscc.calc_check_digit(body)


def cert_fields(certificate_number: str = "GB29490-2026-0001") -> dict[str, Any]:
    """The form of a cert-subsidy claim: a GB/T 29490 certificate valid today."""
    today = timezone.localdate()
    return {
        "standard": "GB/T 29490",
        "certificate_number": certificate_number,
        "certification_body": "中知（北京）认证有限公司",
        "certified_on": (today - dt.timedelta(days=30)).isoformat(),
        "valid_until": (today + dt.timedelta(days=3 * 365)).isoformat(),
    }
