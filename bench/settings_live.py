"""Settings of the gunicorn processes ``bench.load`` starts: production settings (from the
environment, like ``make run``), plus the bench's own app and URLs, so the app and the
bare-view baseline are served by the same server."""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.peer"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
