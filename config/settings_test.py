"""Settings for the test suite: the production module, read with FUNDFLOW_TESTING on.

Same environment variables (DATABASE_URL, CELERY_BROKER_URL...), so CI runs the
suite against real PostgreSQL and Redis; only the test switches differ.
"""

import os

os.environ.setdefault("FUNDFLOW_TESTING", "1")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
