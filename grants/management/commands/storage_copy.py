"""Copy every attachment and letter file from the file system into the object store.

    FILE_STORAGE_URL=s3://fundflow?endpoint=https://s3.example.com python manage.py storage_copy

The source is the file system under ``MEDIA_ROOT`` (or ``--source DIR``); the target is the
configured default storage, so the command runs with the environment the hosts will have
after the switch. Each file is verified against the SHA-256 in the database, before (the
source) and after (the copy read back); a file already in the target with the right hash
is skipped, and no source file is ever deleted: run it before the switch, and once more
after it. Exits non-zero when any file is missing, corrupted or could not be copied.

``--verify`` copies nothing: it checks every stored file where the settings say it is (the
file system or the bucket) against the database, e.g. after a restore.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from grants.filestore import Copied, Outcome, files_copy, files_verify, stored_files


class Command(BaseCommand):
    help = (
        "Copy the attachment and letter files from MEDIA_ROOT into the object store of "
        "FILE_STORAGE_URL, verifying each copy's SHA-256; safe to run again, deletes nothing. "
        "--verify checks the stored files where they are, copying nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            default=None,
            help="folder holding attachments/ and letters/ (default: MEDIA_ROOT)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="copy nothing: check every stored file in the configured storage against "
            "its SHA-256 in the database",
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=100,
            help="print a progress line every N files (default 100)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = storages["default"]  # the instance default_storage stands for
        if options["verify"]:
            self._reach(target)
            self._report(
                files_verify(storage=target),
                f"checking the stored files in {_describe(target)}",
                done="all {total} files verified ({summary})",
                failed="{problems} of {total} files missing or altered ({summary})",
                verbosity=options["verbosity"],
                every=options["progress_every"],
            )
            return
        if isinstance(target, FileSystemStorage):
            raise CommandError(
                "the default storage is the file system: set FILE_STORAGE_URL=s3://… "
                "(the object store to copy into) in the environment of this command"
            )
        self._reach(target)
        folder = Path(options["source"] or settings.MEDIA_ROOT)
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder: pass --source or set MEDIA_ROOT")
        dry_run = options["dry_run"]
        self._report(
            files_copy(source=FileSystemStorage(location=folder), target=target, dry_run=dry_run),
            f"from {folder} to {_describe(target)}" + (" (dry run)" if dry_run else ""),
            done=(
                "dry run, nothing written: {total} files ({summary})"
                if dry_run
                else "all {total} files in place ({summary})"
            ),
            failed="{problems} of {total} files not copied ({summary})",
            verbosity=options["verbosity"],
            every=options["progress_every"],
        )

    def _reach(self, storage: Storage) -> None:
        try:
            storage.listdir("")  # a wrong bucket, endpoint or key fails here, once
        except FileNotFoundError:
            pass  # an empty MEDIA_ROOT not created yet
        except Exception as exc:
            raise CommandError(
                f"cannot reach the object store of FILE_STORAGE_URL: {type(exc).__name__}: {exc}"
            ) from None

    def _report(
        self,
        results: Iterator[Copied],
        heading: str,
        *,
        done: str,
        failed: str,
        verbosity: int,
        every: int,
    ) -> None:
        total = sum(1 for _ in stored_files())
        every = max(1, every)
        counts = dict.fromkeys(Outcome, 0)
        self.stdout.write(f"{total} files {heading}")
        for number, result in enumerate(results, start=1):
            counts[result.outcome] += 1
            line = f"[{number}/{total}] {result.outcome}: {result.file.name} ({result.file.label})"
            if result.detail:
                line += f" — {result.detail}"
            if not result.outcome.ok:
                self.stderr.write(self.style.ERROR(line))
            elif verbosity >= 2 or result.outcome is Outcome.REPLACED:
                self.stdout.write(line)
            if number % every == 0 and number < total:
                self.stdout.write(f"… {number}/{total} checked")
        summary = ", ".join(f"{outcome}: {n}" for outcome, n in counts.items() if n) or "none"
        problems = sum(n for outcome, n in counts.items() if not outcome.ok)
        if problems:
            raise CommandError(failed.format(problems=problems, total=total, summary=summary))
        self.stdout.write(self.style.SUCCESS(done.format(total=total, summary=summary)))


def _describe(storage: Storage) -> str:
    bucket = getattr(storage, "bucket_name", None)
    if not bucket:
        return f"the file system under {getattr(storage, 'location', settings.MEDIA_ROOT)}"
    prefix = getattr(storage, "location", "")
    where = getattr(storage, "endpoint_url", None) or "AWS"
    return f"s3://{bucket}{'/' + prefix if prefix else ''} at {where}"
