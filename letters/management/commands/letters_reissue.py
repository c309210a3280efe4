"""Re-issue letters as new versions (after a template fix) and show the workers' progress."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from grants.errors import DomainError
from grants.models import Program
from letters.models import LetterKind
from letters.services import letters_reissue


class Command(BaseCommand):
    help = "Re-issue every letter in force (optionally of one programme / kind) as a new version."

    def add_arguments(self, parser):
        parser.add_argument("--reason", required=True)
        parser.add_argument("--program", default="", help="programme code, e.g. cert-subsidy")
        parser.add_argument("--kind", default="", choices=["", *LetterKind.values])
        parser.add_argument("--as", dest="username", default="admin", help="acting administrator")
        parser.add_argument("--no-wait", action="store_true", help="enqueue and return")
        parser.add_argument("--timeout", type=float, default=3600)

    def handle(self, *args, reason, program, kind, username, no_wait, timeout, **options):
        actor = get_user_model().objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"no user {username!r}")
        prog = None
        if program:
            prog = Program.objects.filter(code=program).first()
            if prog is None:
                raise CommandError(f"no programme {program!r}")
        try:
            batch = letters_reissue(actor=actor, reason=reason, program=prog, kind=kind)
        except DomainError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(f"batch #{batch.pk}: {batch.total} letter(s) enqueued")
        if no_wait:
            return
        deadline = time.monotonic() + timeout
        while True:
            done = batch.done
            width = 40
            filled = width * done // batch.total if batch.total else width
            self.stdout.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{batch.total}", ending=""
            )
            self.stdout.flush()
            if done >= batch.total:
                self.stdout.write("")
                return
            if time.monotonic() > deadline:
                raise CommandError(f"timed out with {done}/{batch.total} issued")
            time.sleep(1)
