"""Export the sealed audit chain and its signed checkpoints for an off-line check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from grants import auditkeys
from grants.audit import audit_export


class Command(BaseCommand):
    help = (
        "Write audit-export.json and audit-public-key.pem into a folder; check them anywhere "
        "with: python -m grants.auditchain audit-export.json audit-public-key.pem"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="where to write the two files")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        document = audit_export()
        (folder / "audit-export.json").write_text(
            json.dumps(document, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
        public = auditkeys.public_key_pem(auditkeys.signing_key().public_key())
        (folder / "audit-public-key.pem").write_bytes(public)
        self.stdout.write(
            f"{len(document['entries'])} sealed entries and {len(document['checkpoints'])} "
            f"checkpoints written to {folder}"
        )
