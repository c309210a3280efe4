from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder into the database DATABASE_URL names (it must be empty unless "
        "--force) and MEDIA_ROOT, then check every table's rows and verify the audit chain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="a folder written by manage.py backup")
        parser.add_argument(
            "--force", action="store_true", help="overwrite a database or MEDIA_ROOT that has data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_restore(Path(options["folder"]), force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.mismatches:
            self.stderr.write(line)
        if report.mismatches:
            raise CommandError(
                f"restored, but {len(report.mismatches)} tables differ from the backup"
            )
        if not report.audit_ok:
            raise CommandError(
                f"restored, but the audit chain does not verify: {report.audit_reason} "
                "(are AUDIT_HMAC_KEYS and the signing keys the ones the backup was made with?)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {report.folder}: {report.tables} tables, {report.rows} rows as backed up; "
                f"audit chain intact ({report.audit_entries} entries)"
            )
        )
