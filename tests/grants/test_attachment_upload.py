import hashlib
import io
from pathlib import Path

from django.conf import settings
from PIL import Image

from grants.models import Attachment, AuditEntry
from tests.support.claims import create_cert_app, register_org
from tests.support.documents import PDF


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def draft(applicant) -> dict:
    return create_cert_app(applicant, register_org(applicant))


def test_pdf_upload_is_stored_under_a_generated_name_with_its_sha256(applicant):
    app = draft(applicant)
    response = applicant.upload(
        f"/applications/{app['id']}/attachments", "../../etc/证书.pdf", PDF, "certificate"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["content_type"] == "application/pdf"
    att = Attachment.objects.get(pk=body["id"])
    assert (
        "证书" not in att.file.name and ".." not in att.file.name and att.file.name.endswith(".pdf")
    )
    assert AuditEntry.objects.filter(action="attachment.add", object_id=str(att.pk)).exists()
    download = applicant.client.get(
        f"/api/v1/applications/{app['id']}/attachments/{att.pk}",
        HTTP_AUTHORIZATION=f"Bearer {applicant.token}",
    )
    assert b"".join(download.streaming_content) == PDF


def test_html_named_invoice_pdf_is_refused_and_nothing_is_kept(applicant):
    app = draft(applicant)
    before = (Attachment.objects.count(), AuditEntry.objects.count(), len(stored_files()))
    html = b"<!doctype html><html><script>alert(1)</script></html>"
    response = applicant.upload(
        f"/applications/{app['id']}/attachments", "invoice.pdf", html, "invoice"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "PDF" in response.json()["detail"]
    assert (Attachment.objects.count(), AuditEntry.objects.count(), len(stored_files())) == before


def test_25_mb_file_is_413_and_nothing_is_kept(applicant):
    app = draft(applicant)
    before = (Attachment.objects.count(), len(stored_files()))
    big = PDF[:-6] + b"0" * (25 * 1024 * 1024) + b"\n%%EOF\n"
    response = applicant.upload(f"/applications/{app['id']}/attachments", "big.pdf", big, "invoice")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert (Attachment.objects.count(), len(stored_files())) == before


def test_file_just_over_the_limit_is_413_too(applicant, settings):
    settings.FUNDFLOW_MAX_UPLOAD_BYTES = 10_000
    app = draft(applicant)
    body = PDF[:-6] + b"0" * 10_000 + b"\n%%EOF\n"
    response = applicant.upload(f"/applications/{app['id']}/attachments", "a.pdf", body, "invoice")
    assert response.status_code == 413


def test_png_is_accepted_and_a_fake_png_is_not(applicant):
    app = draft(applicant)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    ok = applicant.upload(
        f"/applications/{app['id']}/attachments",
        "scan.png",
        buffer.getvalue(),
        "certificate",
        "image/png",
    )
    assert ok.status_code == 201 and ok.json()["content_type"] == "image/png"
    fake = b"\x89PNG\r\n\x1a\n" + b"not really a png"
    bad = applicant.upload(
        f"/applications/{app['id']}/attachments", "scan.png", fake, "certificate", "image/png"
    )
    assert bad.status_code == 422


def test_unknown_attachment_kind_and_missing_file(applicant):
    app = draft(applicant)
    response = applicant.upload(f"/applications/{app['id']}/attachments", "a.pdf", PDF, "selfie")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    missing = applicant.client.post(
        f"/api/v1/applications/{app['id']}/attachments",
        {"kind": "invoice"},
        HTTP_AUTHORIZATION=f"Bearer {applicant.token}",
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "file"
