"""A letter's verification URL and its QR code.

Letters print the QR code as ``<img src="fundflow:qr/<code>">``: the renderer's
fetcher (``letters.pdf``) draws it here as a 1-bit PNG of our own verification
URL, never from applicant text. Printed with ``image-rendering: pixelated`` it is
as sharp as a vector and costs WeasyPrint one small image instead of an SVG path of
a few hundred segments (3-4 ms a letter). Template versions saved before
``qr_src`` existed print ``qr_svg``.
"""

from __future__ import annotations

import io
import re

import segno
from django.conf import settings

QR_PREFIX = "fundflow:qr/"
CODE = re.compile(r"[A-Za-z0-9_-]{16,86}")  # Crockford codes, and token_urlsafe ones issued before


def verify_url(code: str) -> str:
    return f"{settings.FUNDFLOW_SITE_URL}/verify/{code}"


def qr_src(code: str) -> str:
    return f"{QR_PREFIX}{code}"


def qr_png(code: str) -> bytes:
    """The verification URL of ``code`` as a PNG, one pixel per module; ``ValueError`` if not a code."""
    if not CODE.fullmatch(code):
        raise ValueError(f"{code[:80]!r} is not a verification code")
    buffer = io.BytesIO()
    segno.make(verify_url(code), error="m").save(buffer, kind="png", border=0, scale=1)
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """The QR code as inline SVG markup (for template versions that print ``qr_svg``)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True, border=0
    )
    return buffer.getvalue().decode("ascii")
