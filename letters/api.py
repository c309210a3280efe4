"""API v1: the letter of an application (download) and public verification by code.

The acceptance certificate of a navigation project downloads from
``GET /navigation/projects/{id}/certificate`` (``navigation.api``), through ``letter_pdf``.
"""

from __future__ import annotations

import datetime as dt

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile

from config.apikit import Problem
from grants.errors import NotFound, TooLarge
from grants.selectors import visible_application
from letters import services

router = Router(tags=["letters"])


class VerifyOut(Schema):
    valid: bool
    kind: str = Field(description="award, refusal or acceptance (验收证书)")
    kind_label: str = Field(description="what the document is, in the caller's language")
    number: str
    organization: str
    program: str
    amount: str | None
    issued_at: dt.datetime | None
    sha256: str


@router.get(
    "/applications/{application_id}/letter",
    response={200: None, 404: Problem},
    summary="The award letter (or refusal notice) as application/pdf; 404 until issued",
    openapi_extra={
        "responses": {200: {"content": {"application/pdf": {}}, "description": "the PDF"}}
    },
)
def letter_download(request, application_id: int):
    app = visible_application(request.user, application_id)
    letter = services.letter_current(app)  # the award letter or refusal notice, never a certificate
    if letter is None:
        raise NotFound(_("No letter has been issued for this application yet."))
    return letter_pdf(letter, f"{app.number}-letter-v{letter.version}.pdf")


def letter_pdf(letter, filename: str) -> FileResponse:
    """An issued letter's stored PDF, inline, with its SHA-256 in ``X-Content-SHA256``."""
    response = FileResponse(
        letter.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=filename,
    )
    response["X-Content-SHA256"] = letter.sha256
    return response


@router.get(
    "/letters/verify/{code}",
    auth=None,
    response={200: VerifyOut, 404: Problem},
    summary="Is this letter genuine? Public, no login; a revoked or superseded letter is not valid",
)
def letter_verify(request, code: str):
    return services.verification_dict(services.letter_by_code(code))


class SignatureOut(Schema):
    present: bool = Field(description="the file carries a digital signature")
    valid: bool = Field(description="intact, trusted, and covering the whole file")
    intact: bool = Field(description="the signed bytes are unchanged")
    trusted: bool = Field(description="the certificate is one the fund's authorities sign with")
    covers_whole_file: bool
    signer: str = Field(description="who signed: the issuing authority")
    signed_at: dt.datetime | None


class VerifyFileOut(Schema):
    valid: bool = Field(
        description="the very file the fund issued, the version in force, its signature intact"
    )
    matched: bool = Field(description="its SHA-256 is that of a letter the fund issued")
    kind: str | None
    kind_label: str | None
    number: str | None
    organization: str | None
    program: str | None
    amount: str | None
    issued_at: dt.datetime | None
    sha256: str = Field(description="the SHA-256 of the uploaded file")
    status: str | None = Field(description="issued, superseded or revoked, when matched")
    code: str | None = Field(description="the letter's verification code, when matched")
    signature: SignatureOut


@router.post(
    "/letters/verify",
    auth=None,
    response={200: VerifyFileOut, 400: Problem, 413: Problem, 422: Problem},
    summary="Upload a letter's PDF: is it the genuine, current version? Public, no login",
    description=(
        "The server compares the file's SHA-256 with the letters it issued and checks the "
        "digital signature. ``valid: false`` for a PDF the fund did not issue (one changed "
        "byte is enough), a superseded or a revoked version."
    ),
)
def letter_verify_file(request, file: File[UploadedFile]):
    if (file.size or 0) > services.VERIFY_MAX_BYTES:
        raise TooLarge(_("This file is too large to be one of our letters."))
    return services.letter_verify_file(file.read())
