"""QR codes of vouchers: the verification link, drawn as SVG by segno (no image library needed)."""

from __future__ import annotations

import io

from django.conf import settings

from agencies.models import Voucher


def voucher_verify_url(voucher: Voucher) -> str:
    return f"{settings.FUNDFLOW_SITE_URL.rstrip('/')}/vouchers/verify/{voucher.code}/"


def voucher_qr_svg(voucher: Voucher) -> str:
    import segno

    buffer = io.BytesIO()
    segno.make(voucher_verify_url(voucher), error="m").save(
        buffer, kind="svg", scale=4, xmldecl=False, title=voucher.number
    )
    return buffer.getvalue().decode()
