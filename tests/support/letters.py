"""Helpers for letter tests: approve or reject through the chain, read a PDF's text."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.support.claims import decide

CHAIN = ("reviewer-tianshan", "reviewer-city", "reviewer-region")


def approve_all(as_user, app_id: int, capture) -> None:
    """Approve at every level; the after-commit callbacks (the letter task, eager) run."""
    for reviewer in CHAIN:
        with capture(execute=True):
            response = decide(as_user(reviewer), app_id, "approve")
        assert response.status_code == 200, response.content


def reject_at_district(
    as_user, app_id: int, capture, comment: str = "认证费发票与证书不符"
) -> None:
    with capture(execute=True):
        response = decide(as_user("reviewer-tianshan"), app_id, "reject", comment)
    assert response.status_code == 200, response.content


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() or "" for page in reader.pages)
