"""Backups that restore: the database and the uploaded files, with a manifest that proves it.

A backup is one folder (``var/backups/<UTC time>/`` unless told otherwise):

- ``database.dump`` — ``pg_dump --format=custom`` of PostgreSQL, restored with
  ``pg_restore``; or ``database.sqlite3`` — SQLite's online backup API (a consistent copy
  while the server runs, WAL included);
- ``media.tar.gz`` — every file under ``MEDIA_ROOT`` (attachments, letters);
- ``manifest.json`` — when, which engine, the last migration of each app, the row count of
  every table, the audit chain's head and the key ids its entries were made with, the
  SHA-256 of each file.

The audit keys are **not** in a backup (a backup that carries its own keys proves
nothing): ``AUDIT_HMAC_KEYS``, the ``AUDIT_SIGNING_KEY`` PEM and the public keys in
``AUDIT_TRUSTED_PUBLIC_KEYS`` are kept apart (README, "Operations"), and verification of a
restored database needs them.

A restore goes into an empty database (``--force`` to overwrite), then checks each table's
row count against the manifest and verifies the audit chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "fundflow.backup/1"
MANIFEST = "manifest.json"
MEDIA = "media.tar.gz"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class RestoreReport:
    folder: Path
    tables: int
    rows: int
    mismatches: list[str]
    audit_ok: bool
    audit_entries: int
    audit_reason: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DUMPS:
        raise BackupError(f"no backup for a {vendor} database")
    return vendor


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        {
            key: str(value)
            for key, value in {
                "PGHOST": db.get("HOST"),
                "PGPORT": db.get("PORT"),
                "PGUSER": db.get("USER"),
                "PGPASSWORD": db.get("PASSWORD"),
                "PGDATABASE": db.get("NAME"),
            }.items()
            if value
        }
    )
    return env


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        )
    result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


def table_counts() -> dict[str, int]:
    """Rows of every table of every installed model (and the tables Django keeps itself)."""
    counts: dict[str, int] = {}
    existing = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in existing and table not in counts and model._meta.managed:
            counts[table] = model._base_manager.using("default").count()
    return dict(sorted(counts.items()))


def _audit_facts() -> dict[str, Any]:
    from grants.audit import AuditEntry, AuditHead

    head = AuditHead.objects.filter(pk=1).first()
    return {
        "entries": AuditEntry.objects.count(),
        "head": getattr(head, "last_hash", ""),
        "key_ids": sorted(set(AuditEntry.objects.values_list("key_id", flat=True)) - {""}),
    }


def _migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def files_in_object_store() -> bool:
    """Attachments and letters live in an object store (FILE_STORAGE_URL=s3://…), not under
    MEDIA_ROOT: a backup then holds the database only, and the bucket is kept by the store's
    own versioning or replication (README, "Operations")."""
    backend = str(settings.STORAGES["default"]["BACKEND"])
    return not backend.endswith("FileSystemStorage")


def backup_create(folder: Path | None = None) -> Path:
    """Write a backup into ``folder`` (a new folder under ``BACKUP_DIR`` by default)."""
    engine = _engine()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = Path(folder) if folder else Path(settings.FUNDFLOW_BACKUP_DIR) / stamp
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; choose a new folder")
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # the data of applicants: readable by the operator only
    dump = target / DUMPS[engine]
    counts = table_counts()
    audit = _audit_facts()
    if engine == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"])
    else:
        connection.ensure_connection()
        source = connection.connection
        with sqlite3.connect(dump) as copy:
            source.backup(copy)
        copy.close()
    media_root = Path(settings.MEDIA_ROOT)
    in_object_store = files_in_object_store()
    with tarfile.open(target / MEDIA, "w:gz") as archive:
        if media_root.is_dir() and not in_object_store:
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(media_root)))
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "engine": engine,
        "migrations": _migrations(),
        "tables": counts,
        "audit": audit,
        "files": {name: _sha256(target / name) for name in (DUMPS[engine], MEDIA)},
        # with FILE_STORAGE_URL=s3://… the files stay in the bucket: not in this backup
        "media": "object store" if in_object_store else "MEDIA_ROOT",
        "keys_not_included": "AUDIT_HMAC_KEYS, AUDIT_SIGNING_KEY, AUDIT_TRUSTED_PUBLIC_KEYS, "
        "SECRET_KEY: kept apart, see README (Operations)",
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for path in target.iterdir():
        os.chmod(path, 0o600)
    return target


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} holds no {MANIFEST}: not a fundflow backup")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown format {manifest.get('format')!r}")
    for name, digest in manifest.get("files", {}).items():
        if not (folder / name).is_file() or _sha256(folder / name) != digest:
            raise BackupError(f"{folder / name} is missing or altered (SHA-256 differs)")
    return manifest


def database_is_empty() -> bool:
    """No table, or only Django's own empty bookkeeping: safe to restore into."""
    tables = set(connection.introspection.table_names())
    if not tables:
        return True
    if "django_migrations" in tables:
        return not MigrationRecorder.Migration.objects.exists()
    return False


def _media_is_empty() -> bool:
    root = Path(settings.MEDIA_ROOT)
    return not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def backup_restore(folder: Path, *, force: bool = False) -> RestoreReport:
    """Restore ``folder`` into the database ``DATABASE_URL`` names and into ``MEDIA_ROOT``."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    engine = _engine()
    if manifest["engine"] != engine:
        raise BackupError(
            f"the backup is of {manifest['engine']}, DATABASE_URL points at {engine}: "
            "restore into the same kind of database"
        )
    if not force and not database_is_empty():
        raise BackupError(
            "the database is not empty; restore into a fresh database, or give --force to "
            "overwrite it"
        )
    if not force and not _media_is_empty():
        raise BackupError(f"MEDIA_ROOT ({settings.MEDIA_ROOT}) holds files; give --force")
    dump = folder / DUMPS[engine]
    if engine == "postgresql":
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
        if force:
            command += ["--clean", "--if-exists"]
        connection.close()
        _run([*command, f"--dbname={settings.DATABASES['default']['NAME']}", str(dump)])
    else:
        connection.ensure_connection()
        with sqlite3.connect(dump) as source:
            source.backup(connection.connection)
        source.close()
        connection.close()
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA, "r:gz") as archive:
        archive.extractall(media_root, filter="data")
    return restore_check(folder, manifest)


def restore_check(folder: Path, manifest: dict[str, Any]) -> RestoreReport:
    """Every table's rows as the manifest counted them, and the audit chain verified."""
    from grants.audit import audit_verify

    counts = table_counts()
    expected: dict[str, int] = manifest["tables"]
    mismatches = [
        f"{table}: {counts.get(table)} rows, the backup had {rows}"
        for table, rows in expected.items()
        if counts.get(table) != rows
    ]
    verdict = audit_verify(seal=False)
    return RestoreReport(
        folder=folder,
        tables=len(counts),
        rows=sum(counts.values()),
        mismatches=mismatches,
        audit_ok=verdict.ok,
        audit_entries=verdict.entries,
        audit_reason=verdict.reason or "",
    )
