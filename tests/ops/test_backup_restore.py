"""make backup → make restore into a fresh database finds the same applications, ledger and
audit chain (verified), on whichever database the suite runs: PostgreSQL (pg_dump and
pg_restore) in the `make test` pass of CI, SQLite (the online backup API) in its second pass."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from ops.backup import BackupError, backup_create, backup_restore
from tests.support.claims import attach_required, create_cert_app, decide, register_org
from tests.support.clients import login
from tests.support.documents import PDF

ROOT = Path(__file__).resolve().parents[2]  # the repository: manage.py

# What the restored database must hold, read the same way on both sides.
FACTS = """
import json
from finance.models import LedgerEntry
from grants.audit import AuditEntry, AuditHead
from grants.models import Application, Attachment
head = AuditHead.objects.filter(pk=1).first()
print("FACTS" + json.dumps({
    "applications": sorted(Application.objects.values_list("number", "status", "award_amount")),
    "ledger": sorted(LedgerEntry.objects.values_list("id", "kind", "amount")),
    "audit": [AuditEntry.objects.count(), getattr(head, "last_hash", "")],
    "attachments": sorted(a.file.read().hex()[:40] for a in Attachment.objects.all()),
}, default=str))
"""


def _facts_here() -> dict:
    namespace: dict = {}
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(FACTS, namespace)
    return json.loads(out.getvalue().split("FACTS", 1)[1])


def _manage(args: list[str], database_url: str, media: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=database_url, MEDIA_ROOT=str(media))
    env["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def fresh_database(tmp_path):
    """A URL of an empty database of the engine the suite runs on; dropped afterwards."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"fundflow_restore_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    user, password = settings_dict["USER"], settings_dict["PASSWORD"]
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    yield f"postgres://{user}:{password}@{host}:{port}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_fresh_database_with_the_same_records(
    demo, tmp_path, fresh_database
):
    # an award through three levels: applications, budget ledger, letters, audit entries, files
    applicant = login("applicant")
    org = register_org(applicant)
    app = create_cert_app(applicant, org)
    attach_required(applicant, app["id"])
    assert applicant.post(f"/applications/{app['id']}/submit").status_code == 200
    for reviewer in ("reviewer-tianshan", "reviewer-city", "reviewer-region"):
        assert decide(login(reviewer), app["id"], "approve").status_code == 200
    from grants.audit import audit_seal

    audit_seal()
    before = _facts_here()
    assert before["ledger"] and before["audit"][0] > 10 and len(before["attachments"]) == 2

    folder = backup_create(tmp_path / "backup")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["grants_application"] == 1
    assert "k0" in manifest["audit"]["key_ids"]  # the key ids verification needs, not the keys

    media = tmp_path / "restored-media"
    restored = _manage(["restore", str(folder)], fresh_database, media)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "audit chain intact" in restored.stdout

    verified = _manage(["audit_verify"], fresh_database, media)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    after = _manage(["shell", "-c", FACTS], fresh_database, media)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout.split("FACTS", 1)[1]) == before
    assert PDF.hex()[:40] in before["attachments"]

    # a second restore into the now filled database is refused unless forced
    again = _manage(["restore", str(folder)], fresh_database, media)
    assert again.returncode != 0 and "not empty" in again.stderr
    forced = _manage(["restore", "--force", str(folder)], fresh_database, media)
    assert forced.returncode == 0, forced.stdout + forced.stderr


@pytest.mark.django_db(transaction=True)
def test_an_altered_backup_is_refused(demo, tmp_path):
    folder = backup_create(tmp_path / "backup")
    dump = next(p for p in folder.iterdir() if p.name.startswith("database."))
    with dump.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(BackupError, match="altered"):
        backup_restore(folder)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_holds_data(demo, tmp_path):
    folder = backup_create(tmp_path / "backup")
    with pytest.raises(BackupError, match="not empty"):
        backup_restore(folder)


@pytest.mark.django_db(transaction=True)
def test_with_files_in_an_object_store_the_backup_says_they_are_not_in_it(
    demo, tmp_path, settings, capsys
):
    from django.core.management import call_command

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "b"}},
    }
    call_command("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["media"] == "object store"
    assert "not in this backup" in capsys.readouterr().err
