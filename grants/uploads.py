"""Checking an uploaded file by its content, never by its name or declared type."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from grants.errors import TooLarge, UnsupportedFile


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    sha256: str
    size: int


SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


def check_upload(upload: UploadedFile, *, max_bytes: int) -> CheckedFile:
    if upload.size is None or upload.size > max_bytes:
        raise TooLarge(
            _("The file is %(size).1f MB; at most %(max)d MB is accepted.")
            % {"size": (upload.size or 0) / 1_048_576, "max": max_bytes // 1_048_576}
        )
    if upload.size == 0:
        raise UnsupportedFile(_("The file is empty."))
    upload.seek(0)
    head = upload.read(16)
    match = next(((ctype, ext) for sig, ctype, ext in SIGNATURES if head.startswith(sig)), None)
    if match is None:
        raise UnsupportedFile(
            _("“%(name)s” is not a PDF, JPEG or PNG file by its content.") % {"name": upload.name}
        )
    content_type, extension = match
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    if content_type == "application/pdf":
        _check_pdf_tail(upload, upload.name, upload.size)
    else:
        _check_image(upload, upload.name, content_type)
    upload.seek(0)
    return CheckedFile(content_type, extension, digest.hexdigest(), upload.size)


def _check_pdf_tail(upload: UploadedFile, name: str | None, size: int) -> None:
    upload.seek(max(0, size - 2048))
    tail = upload.read()
    if b"%%EOF" not in tail:
        raise UnsupportedFile(
            _("“%(name)s” is not a complete PDF file (no end marker).") % {"name": name}
        )


def _check_image(upload: UploadedFile, name: str | None, content_type: str) -> None:
    from PIL import Image, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
            fmt = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UnsupportedFile(_("“%(name)s” is not a readable image.") % {"name": name}) from None
    formats: dict[str | None, str] = {"JPEG": "image/jpeg", "PNG": "image/png"}
    if formats.get(fmt) != content_type:
        raise UnsupportedFile(_("“%(name)s” is not a readable image.") % {"name": name})
