"""Attachments and letters in an S3-compatible object store (``FILE_STORAGE_URL=s3://…``).

A local ``moto_server`` (``moto[server]``, a dev dependency) is started on a free port for
this module; each test gets a bucket of its own and points ``STORAGES`` at it through the
same parser the settings use (``config.env.storage_from_env``). Files go in and out only
through our permission-checked API and pages, never a bucket URL. Skipped, saying why, only
when the server cannot start.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from config import env
from grants.models import Attachment
from letters.models import Letter
from tests.support.claims import attach_required, create_cert_app, register_org, submit_cert_claim
from tests.support.clients import web
from tests.support.documents import PDF
from tests.support.letters import approve_all

KEY_ID, SECRET = "fundflow-test", "fundflow-test-secret"  # moto accepts any
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """A moto S3 server on a free local port, for this module."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    log = log_path.open("wb")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    try:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    except OSError as exc:
        pytest.skip(f"moto_server could not start: {exc}")
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with DIRECT.open(f"{endpoint}/moto-api/", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-800:]
                    pytest.skip(f"moto_server did not answer on {endpoint}: {tail}")
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch):
    """``s3.switch()`` creates a bucket and points ``STORAGES["default"]`` at it as
    ``FILE_STORAGE_URL`` would (after a test stored files on disk, if it wants);
    ``s3.objects()`` reads the bucket back, key → bytes."""

    # boto3 honours HTTP(S)_PROXY: the local server is reached directly
    for variable in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(
            variable, ",".join(filter(None, [os.environ.get(variable), "127.0.0.1"]))
        )

    class Switch:
        name = ""
        endpoint = s3_endpoint

        def switch(self) -> str:
            self.name = f"fundflow-{uuid.uuid4().hex[:12]}"
            _client(s3_endpoint).create_bucket(Bucket=self.name)
            monkeypatch.setenv(
                "FILE_STORAGE_URL", f"s3://{self.name}?endpoint={s3_endpoint}&region=us-east-1"
            )
            monkeypatch.setenv("S3_ACCESS_KEY_ID", KEY_ID)
            monkeypatch.setenv("S3_SECRET_ACCESS_KEY", SECRET)
            settings.STORAGES = {
                **settings.STORAGES,
                "default": env.storage_from_env("FILE_STORAGE_URL"),
            }
            return self.name

        def objects(self) -> dict[str, bytes]:
            return objects(s3_endpoint, self.name)

    return Switch()


@pytest.fixture
def bucket(s3, demo) -> str:
    """The demo, with its files in a bucket of this test's own."""
    return s3.switch()


def objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    client = _client(endpoint)
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }


def on_disk(root) -> list[Path]:
    root = Path(root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- round trip through the API


def test_attachments_and_letter_round_trip_through_the_object_store(
    s3_endpoint, bucket, settings, as_user, applicant, django_capture_on_commit_callbacks
):
    app = submit_cert_claim(applicant)  # uploads a certificate and an invoice through the API
    attachments = list(Attachment.objects.filter(application_id=app["id"]))
    assert len(attachments) == 2

    stored = objects(s3_endpoint, bucket)
    for att in attachments:
        assert att.file.name.startswith("attachments/")
        assert sha(stored[att.file.name]) == att.sha256
        download = applicant.client.get(
            f"/api/v1/applications/{app['id']}/attachments/{att.pk}",
            HTTP_AUTHORIZATION=f"Bearer {applicant.token}",
        )
        assert download.status_code == 200
        assert int(download["Content-Length"]) == att.size == len(PDF)
        assert download["Content-Type"] == "application/pdf"
        body = b"".join(download.streaming_content)
        assert body == PDF and sha(body) == att.sha256

    # the reviewer's inline view on the task page reads the same object
    page = web("reviewer-tianshan").get(
        f"/review/applications/{app['id']}/attachments/{attachments[0].pk}/view/"
    )
    assert page.status_code == 200
    assert b"".join(page.streaming_content) == PDF

    # outside the reviewer's district the attachment does not exist, S3 or not
    other = as_user("reviewer-xinshi").get(
        f"/applications/{app['id']}/attachments/{attachments[0].pk}"
    )
    assert other.status_code == 404

    # the letter: issued by the task (eager) after the last approval, stored in the bucket
    approve_all(as_user, app["id"], django_capture_on_commit_callbacks)
    letter = Letter.objects.get(application_id=app["id"], kind="award")
    assert letter.pdf.name.startswith("letters/")
    stored = objects(s3_endpoint, bucket)
    assert sha(stored[letter.pdf.name]) == letter.sha256

    response = applicant.get(f"/applications/{app['id']}/letter")
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content)
    assert pdf.startswith(b"%PDF-")
    assert sha(pdf) == letter.sha256 == response["X-Content-SHA256"]

    verified = applicant.client.get(f"/api/v1/letters/verify/{letter.code}").json()
    assert verified["valid"] is True and verified["sha256"] == sha(pdf)

    assert on_disk(settings.MEDIA_ROOT) == []  # nothing went to the file system
    assert sorted(stored) == sorted([a.file.name for a in attachments] + [letter.pdf.name])


def test_a_failed_upload_leaves_no_object(s3_endpoint, bucket, applicant, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from grants import services
    from grants.models import Application, User

    app = create_cert_app(applicant, register_org(applicant))
    refused = applicant.upload(
        f"/applications/{app['id']}/attachments", "x.pdf", b"%PDF-1.4 no end marker", "invoice"
    )
    assert refused.status_code == 422

    def broken(**kwargs):  # the transaction fails after the object was written
        raise RuntimeError("audit down")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError, match="audit down"):
        services.attachment_add(
            actor=User.objects.get(username=applicant.username),
            application=Application.objects.get(pk=app["id"]),
            kind="invoice",
            upload=SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf"),
        )
    assert objects(s3_endpoint, bucket) == {}
    assert not Attachment.objects.filter(application_id=app["id"]).exists()


def test_objects_are_private(s3_endpoint, bucket, applicant):
    app = create_cert_app(applicant, register_org(applicant))
    attach_required(applicant, app["id"])
    client = _client(s3_endpoint)
    for key in objects(s3_endpoint, bucket):
        grants = client.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert all("AllUsers" not in str(g.get("Grantee", {})) for g in grants), grants


# ---------------------------------------------------------------- storage_copy


def _issue_on_disk(as_user, applicant, capture) -> tuple[list[Attachment], Letter]:
    """A claim with its attachments and award letter, stored on the file system."""
    app = submit_cert_claim(applicant)
    approve_all(as_user, app["id"], capture)
    return (
        list(Attachment.objects.filter(application_id=app["id"])),
        Letter.objects.get(application_id=app["id"], kind="award"),
    )


def _copy(out: io.StringIO | None = None, err: io.StringIO | None = None, **options):
    out, err = out or io.StringIO(), err or io.StringIO()
    call_command("storage_copy", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_storage_copy_moves_files_to_s3_verified_and_is_safe_to_rerun(
    s3_endpoint, s3, settings, as_user, applicant, django_capture_on_commit_callbacks
):
    attachments, letter = _issue_on_disk(as_user, applicant, django_capture_on_commit_callbacks)
    disk_before = {p: p.read_bytes() for p in on_disk(settings.MEDIA_ROOT)}
    assert len(disk_before) == 3

    s3.switch()  # switch: FILE_STORAGE_URL=s3://… as the hosts will have it
    out, err = _copy()
    assert "all 3 files in place (copied: 3)" in out, out + err

    stored = s3.objects()
    for att in attachments:
        assert sha(stored[att.file.name]) == att.sha256
    assert sha(stored[letter.pdf.name]) == letter.sha256
    # the source is never deleted
    assert {p: p.read_bytes() for p in on_disk(settings.MEDIA_ROOT)} == disk_before

    # downloads now come from the bucket
    response = applicant.get(f"/applications/{letter.application_id}/letter")
    assert sha(b"".join(response.streaming_content)) == letter.sha256

    out, err = _copy()  # again: every file already there with the right hash
    assert "all 3 files in place (present: 3)" in out, out + err


def test_storage_copy_reports_a_corrupted_source_and_copies_the_rest(
    s3_endpoint, s3, settings, as_user, applicant, django_capture_on_commit_callbacks
):
    attachments, letter = _issue_on_disk(as_user, applicant, django_capture_on_commit_callbacks)
    root = Path(settings.MEDIA_ROOT)
    corrupted = root / attachments[0].file.name
    corrupted.write_bytes(corrupted.read_bytes().replace(b"%%EOF", b"%%EOX"))

    s3.switch()
    with pytest.raises(
        CommandError, match=r"1 of 3 files not copied \(copied: 2, source-mismatch: 1\)"
    ):
        _copy()
    stored = s3.objects()
    assert attachments[0].file.name not in stored  # a corrupted file is not copied
    assert sha(stored[attachments[1].file.name]) == attachments[1].sha256
    assert sha(stored[letter.pdf.name]) == letter.sha256


def test_storage_copy_names_the_bad_file_and_replaces_a_wrong_copy(
    s3_endpoint, s3, settings, as_user, applicant, django_capture_on_commit_callbacks
):
    attachments, letter = _issue_on_disk(as_user, applicant, django_capture_on_commit_callbacks)
    root = Path(settings.MEDIA_ROOT)
    (root / letter.pdf.name).unlink()  # lost from the disk

    name = s3.switch()
    _client(s3_endpoint).put_object(Bucket=name, Key=attachments[1].file.name, Body=b"not it")
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        _copy(err=err)
    assert str(failure.value) == "1 of 3 files not copied (copied: 1, replaced: 1, missing: 1)"
    # the problem is named: which file, which row
    assert f"missing: {letter.pdf.name} (letters.letter #{letter.pk} pdf)" in err.getvalue()
    stored = s3.objects()
    assert sha(stored[attachments[1].file.name]) == attachments[1].sha256
    assert sha(stored[attachments[0].file.name]) == attachments[0].sha256


def test_storage_copy_dry_run_writes_nothing(
    s3, settings, as_user, applicant, django_capture_on_commit_callbacks
):
    _issue_on_disk(as_user, applicant, django_capture_on_commit_callbacks)
    s3.switch()
    out, _ = _copy(dry_run=True)
    assert "dry run, nothing written: 3 files (copied: 3)" in out
    assert s3.objects() == {}


def test_storage_copy_stops_at_once_when_the_bucket_is_not_there(s3, demo, settings):
    name = s3.switch()
    _client(s3.endpoint).delete_bucket(Bucket=name)
    with pytest.raises(CommandError, match="cannot reach the object store of FILE_STORAGE_URL"):
        _copy()


def test_storage_copy_refuses_without_an_object_store(demo):
    with pytest.raises(CommandError, match="FILE_STORAGE_URL"):
        _copy()


# ---------------------------------------------------------------- the variables


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/x", "unsupported scheme"),
        ("file:///srv/media", "MEDIA_ROOT"),
        ("s3://Bad_Bucket", "not a bucket name"),
        ("s3://bucket?endpoint=127.0.0.1:9000", "not an http(s) URL"),
        ("s3://bucket?colour=blue", "unknown option"),
        ("s3://bucket?addressing=sideways", "addressing"),
        ("s3://bucket?acl=public-read", "acl"),
        ("s3://key:secret@bucket", "S3_ACCESS_KEY_ID"),
        ("s3://bucket/a/../b", "not a clean path"),
    ],
)
def test_bad_storage_urls_are_refused_naming_the_variable(monkeypatch, url, message):
    monkeypatch.setenv("FILE_STORAGE_URL", url)
    with pytest.raises(ImproperlyConfigured, match="FILE_STORAGE_URL") as error:
        env.storage_from_env("FILE_STORAGE_URL")
    assert message in str(error.value)


def test_half_of_the_credentials_is_refused(monkeypatch):
    monkeypatch.setenv("FILE_STORAGE_URL", "s3://bucket?endpoint=http://127.0.0.1:9000")
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "only-the-id")
    monkeypatch.delenv("S3_SECRET_ACCESS_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="S3_SECRET_ACCESS_KEY is missing"):
        env.storage_from_env("FILE_STORAGE_URL")


def test_the_file_system_is_the_default(monkeypatch):
    monkeypatch.delenv("FILE_STORAGE_URL", raising=False)
    assert env.storage_from_env("FILE_STORAGE_URL") == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }


def test_an_s3_url_gives_private_unsigned_objects_under_a_prefix(monkeypatch):
    monkeypatch.setenv(
        "FILE_STORAGE_URL",
        "s3://grants.files/fundflow?endpoint=https://oss.example.cn&region=cn-north-1",
    )
    monkeypatch.delenv("S3_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("S3_SECRET_ACCESS_KEY", raising=False)
    config = env.storage_from_env("FILE_STORAGE_URL")
    options = config["OPTIONS"]
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "grants.files" and options["location"] == "fundflow"
    assert options["endpoint_url"] == "https://oss.example.cn"
    assert options["region_name"] == "cn-north-1"
    assert options["default_acl"] == "private" and options["querystring_auth"] is False
    assert options["file_overwrite"] is False
    assert "access_key" not in options  # boto3's own chain


def test_storage_copy_verify_checks_the_files_where_they_are(
    s3_endpoint, s3, settings, as_user, applicant, django_capture_on_commit_callbacks
):
    attachments, letter = _issue_on_disk(as_user, applicant, django_capture_on_commit_callbacks)
    out, _ = _copy(verify=True)  # on the file system
    assert "all 3 files verified (present: 3)" in out

    name = s3.switch()
    _copy()
    out, _ = _copy(verify=True)  # in the bucket
    assert "all 3 files verified (present: 3)" in out and f"s3://{name}" in out

    # an object altered in the bucket, one lost (a bad restore): both named
    client = _client(s3_endpoint)
    client.put_object(Bucket=name, Key=letter.pdf.name, Body=b"%PDF-1.4 forged")
    client.delete_object(Bucket=name, Key=attachments[0].file.name)
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        _copy(err=err, verify=True)
    assert str(failure.value) == (
        "2 of 3 files missing or altered (present: 1, missing: 1, corrupted: 1)"
    )
    assert f"corrupted: {letter.pdf.name}" in err.getvalue()
    assert f"missing: {attachments[0].file.name}" in err.getvalue()
