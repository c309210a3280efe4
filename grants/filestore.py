"""Copying the stored files (attachments, letters) from the file system into the object store.

The files are found through the models, not by walking a folder: every model with a
``FileField`` (``grants.Attachment.file``, ``letters.Letter.pdf``, and any later one), each
row with a stored name. A model with a ``sha256`` field says what the bytes must hash to;
every copy is read back from the target and checked against it. Nothing here deletes a
source file, and a file already in the target with the right hash is left alone, so a copy
may be run again at any time (before the switch, and once more after it for the files
stored in between).

``manage.py storage_copy`` prints what ``files_copy`` yields; ``storage_copy --verify`` what
``files_verify`` yields: every stored file checked where it is now (file system or bucket),
for instance after a restore.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.core.files.storage import Storage
from django.db import models

CHUNK = 1024 * 1024


class Outcome(StrEnum):
    COPIED = "copied"  # written to the target and read back with the right hash
    PRESENT = "present"  # already in the target with the right hash: left alone
    REPLACED = "replaced"  # in the target with other bytes: written again, read back right
    MISSING = "missing"  # neither in the target nor in the source
    SOURCE_MISMATCH = "source-mismatch"  # the source's bytes do not hash to the database's SHA-256
    COPY_MISMATCH = "copy-mismatch"  # written, but the copy read back hashes otherwise
    CORRUPTED = "corrupted"  # (verify) stored, but its bytes do not hash to the database's SHA-256
    ERROR = "error"  # the target or source failed (the message says how)

    @property
    def ok(self) -> bool:
        return self in {Outcome.COPIED, Outcome.PRESENT, Outcome.REPLACED}


@dataclass(frozen=True)
class StoredFile:
    """One row's file: where it is named and what it must hash to (``""``: no hash recorded)."""

    label: str  # "grants.attachment #12 file"
    name: str  # the storage name, e.g. attachments/2026/11/<uuid>.pdf
    sha256: str


@dataclass(frozen=True)
class Copied:
    file: StoredFile
    outcome: Outcome
    detail: str = ""


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    """Every (model, FileField) of the installed apps, in a stable order."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                found.append((model, field))
    return sorted(found, key=lambda pair: (pair[0]._meta.label_lower, pair[1].name))


def stored_files() -> Iterator[StoredFile]:
    """Each row's stored file, by model and primary key; rows without a file are left out."""
    for model, field in file_fields():
        has_hash = any(f.name == "sha256" for f in model._meta.get_fields())
        columns = ["pk", field.name] + (["sha256"] if has_hash else [])
        rows = (
            model._default_manager.exclude(**{field.name: ""})
            .exclude(**{f"{field.name}__isnull": True})
            .order_by("pk")
            .values_list(*columns)
        )
        for row in rows.iterator(chunk_size=500):
            yield StoredFile(
                label=f"{model._meta.label_lower} #{row[0]} {field.name}",
                name=str(row[1]),
                sha256=str(row[2]) if has_hash else "",
            )


def sha256_of(storage: Storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for chunk in handle.chunks(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_copy(item: StoredFile, *, source: Storage, target: Storage, dry_run: bool) -> Copied:
    """Copy one file unless the target already holds the right bytes; verify what was written."""
    try:
        present = target.exists(item.name)
        if present and item.sha256 and sha256_of(target, item.name) == item.sha256:
            return Copied(item, Outcome.PRESENT)
        if not source.exists(item.name):
            if present and not item.sha256:
                return Copied(item, Outcome.PRESENT, "no SHA-256 recorded; not in the source")
            return Copied(item, Outcome.MISSING, "not in the source, nor right in the target")
        actual = sha256_of(source, item.name)
        expected = item.sha256 or actual
        if actual != expected:
            return Copied(
                item, Outcome.SOURCE_MISMATCH, f"source hashes {actual}, database says {expected}"
            )
        if present and not item.sha256 and sha256_of(target, item.name) == expected:
            return Copied(item, Outcome.PRESENT)
        outcome = Outcome.REPLACED if present else Outcome.COPIED
        if dry_run:
            return Copied(item, outcome, "dry run: nothing written")
        if present:
            target.delete(item.name)  # other bytes under our name: a failed or foreign copy
        with source.open(item.name, "rb") as handle:
            saved = target.save(item.name, handle)
        if saved != item.name:
            return Copied(item, Outcome.ERROR, f"the target stored it as {saved!r}")
        copied = sha256_of(target, item.name)
        if copied != expected:
            return Copied(
                item, Outcome.COPY_MISMATCH, f"the copy hashes {copied}, expected {expected}"
            )
        return Copied(item, outcome)
    except Exception as exc:  # a network or disk error on one file: report it, go on
        return Copied(item, Outcome.ERROR, f"{type(exc).__name__}: {exc}")


def file_verify(item: StoredFile, *, storage: Storage) -> Copied:
    """Is this row's file in ``storage`` with the bytes the database says? Writes nothing."""
    try:
        if not storage.exists(item.name):
            return Copied(item, Outcome.MISSING, "not in the storage")
        if not item.sha256:
            return Copied(item, Outcome.PRESENT, "no SHA-256 recorded")
        actual = sha256_of(storage, item.name)
        if actual != item.sha256:
            return Copied(
                item, Outcome.CORRUPTED, f"stored bytes hash {actual}, database says {item.sha256}"
            )
        return Copied(item, Outcome.PRESENT)
    except Exception as exc:
        return Copied(item, Outcome.ERROR, f"{type(exc).__name__}: {exc}")


def files_verify(*, storage: Storage) -> Iterator[Copied]:
    for item in stored_files():
        yield file_verify(item, storage=storage)


def files_copy(*, source: Storage, target: Storage, dry_run: bool = False) -> Iterator[Copied]:
    for item in stored_files():
        yield file_copy(item, source=source, target=target, dry_run=dry_run)
