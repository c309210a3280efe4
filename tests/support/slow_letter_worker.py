"""A Celery worker whose first letter render hangs, for tests/letters/test_letter_worker_crash.py.

Run as ``python -m tests.support.slow_letter_worker MARKER``: the first render writes
its process id to MARKER and sleeps; the test kills that process mid-render.
Later renders (MARKER exists) run normally. Nothing here is imported by the product.
"""

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from config.celery import app  # noqa: E402
from letters import pdf  # noqa: E402

MARKER = Path(sys.argv[1])
_render = pdf.Renderer.render_letter


def slow_first_render(self, html: str):
    if not MARKER.exists():
        MARKER.write_text(str(os.getpid()))
        time.sleep(120)
    return _render(self, html)


pdf.Renderer.render_letter = slow_first_render

app.worker_main(
    [
        "worker",
        "-P",
        "prefork",
        "-c",
        "1",
        "-l",
        "warning",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"letters-crash-{os.getpid()}@%h",
    ]
)
