from typing import Any

from django.core.management.base import BaseCommand, CommandError

from grants.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exits non-zero at the first altered or missing entry."

    def handle(self, *args: Any, **options: Any) -> None:
        verdict = audit_verify()
        if verdict.ok:
            self.stdout.write(self.style.SUCCESS(f"audit log intact: {verdict.entries} entries"))
            return
        raise CommandError(
            f"audit log broken at entry {verdict.first_bad_entry} after {verdict.entries} entries: {verdict.reason}"
        )
