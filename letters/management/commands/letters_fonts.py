"""Build the cut-down letter font under var/fonts/ (once; later runs do nothing)."""

from django.core.management.base import BaseCommand

from letters.fonts import ensure_fonts


class Command(BaseCommand):
    help = "Build the cut-down CJK letter font (GB 2312 + ASCII + punctuation) if missing."

    def handle(self, *args, **options):
        built = ensure_fonts()
        if not built:
            self.stderr.write("Noto Serif CJK is not installed: letters use the full fonts.")
        for path in built.values():
            self.stdout.write(str(path))
