"""Settings of ``python -m bench``: the test settings, plus the bench's own app and URLs."""

from config.settings_test import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.peer"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["*"]
