"""Copy every attachment and letter file from the file system into the object store.

    FILE_STORAGE_URL=s3://fundflow?endpoint=https://s3.example.com python manage.py storage_copy

The source is the file system under ``MEDIA_ROOT`` (or ``--source DIR``); the target is the
configured default storage, so the command runs with the environment the hosts will have
after the switch. Each file is verified against the SHA-256 in the database, before (the
source) and after (the copy read back); a file already in the target with the right hash
is skipped, and no source file is ever deleted: run it before the switch, and once more
after it. Exits non-zero when any file is missing, corrupted or could not be copied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from grants.filestore import Outcome, files_copy, stored_files


class Command(BaseCommand):
    help = (
        "Copy the attachment and letter files from MEDIA_ROOT into the object store of "
        "FILE_STORAGE_URL, verifying each copy's SHA-256; safe to run again, deletes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            default=None,
            help="folder holding attachments/ and letters/ (default: MEDIA_ROOT)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check and report, write nothing",
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=100,
            help="print a progress line every N files (default 100)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = storages["default"]  # the instance default_storage stands for
        if isinstance(target, FileSystemStorage):
            raise CommandError(
                "the default storage is the file system: set FILE_STORAGE_URL=s3://… "
                "(the object store to copy into) in the environment of this command"
            )
        try:
            target.listdir("")  # a wrong bucket, endpoint or key fails here, once
        except Exception as exc:
            raise CommandError(
                f"cannot reach the object store of FILE_STORAGE_URL: {type(exc).__name__}: {exc}"
            ) from None
        folder = Path(options["source"] or settings.MEDIA_ROOT)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder: pass --source or set MEDIA_ROOT")
        source = FileSystemStorage(location=folder)
        total = sum(1 for _ in stored_files())
        every = max(1, options["progress_every"])
        counts = dict.fromkeys(Outcome, 0)
        self.stdout.write(
            f"{total} files from {folder} to {_describe(target)}"
            + (" (dry run)" if options["dry_run"] else "")
        )
        for done, result in enumerate(
            files_copy(source=source, target=target, dry_run=options["dry_run"]), start=1
        ):
            counts[result.outcome] += 1
            line = f"[{done}/{total}] {result.outcome}: {result.file.name} ({result.file.label})"
            if result.detail:
                line += f" — {result.detail}"
            if not result.outcome.ok:
                self.stderr.write(self.style.ERROR(line))
            elif options["verbosity"] >= 2 or result.outcome is Outcome.REPLACED:
                self.stdout.write(line)
            if done % every == 0 and done < total:
                self.stdout.write(f"… {done}/{total} checked")
        summary = ", ".join(f"{outcome}: {n}" for outcome, n in counts.items() if n)
        problems = sum(n for outcome, n in counts.items() if not outcome.ok)
        if problems:
            raise CommandError(f"{problems} of {total} files not copied ({summary})")
        if options["dry_run"]:
            self.stdout.write(f"dry run, nothing written: {total} files ({summary or 'none'})")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"all {total} files in place ({summary or 'none'})")
            )


def _describe(storage: Storage) -> str:
    bucket = getattr(storage, "bucket_name", None)
    if not bucket:
        return type(storage).__name__
    prefix = getattr(storage, "location", "")
    where = getattr(storage, "endpoint_url", None) or "AWS"
    return f"s3://{bucket}{'/' + prefix if prefix else ''} at {where}"
