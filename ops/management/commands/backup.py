from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.backup import BackupError, backup_create, files_in_object_store


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, or SQLite's online backup) and the uploaded files "
        "into a new folder (default: var/backups/<UTC time>/, BACKUP_DIR to change)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", nargs="?", help="where to write the backup (a new folder)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            folder = backup_create(Path(options["folder"]) if options["folder"] else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"backup written to {folder}"))
        if files_in_object_store():
            self.stderr.write(
                "the files are in the object store (FILE_STORAGE_URL), not in this backup: "
                "keep the bucket with the store's own versioning or replication (README, Operations)"
            )
