"""Settings for the test suite: the production module, read with FUNDFLOW_TESTING on.

Same environment variables (DATABASE_URL, CELERY_BROKER_URL...), so CI runs the
suite against real PostgreSQL and Redis; only the test switches differ.
"""

import os

os.environ.setdefault("FUNDFLOW_TESTING", "1")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only

# Tasks run in-process in the suite; tests/test_celery_worker.py switches this off to prove a
# separate worker process consumes the real broker.
CELERY_TASK_ALWAYS_EAGER = True

if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # Test databases are thrown away: skip the fsync wait at each commit.
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = (_options.get("options", "") + " -c synchronous_commit=off").strip()
    # One test database per checkout, so a CI run on a fresh clone and a working copy's
    # suite on the same server never create and drop each other's database mid-run.
    import hashlib
    from pathlib import Path

    _checkout = hashlib.sha1(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:8]
    _test = DATABASES["default"].setdefault("TEST", {})  # noqa: F405
    _test.setdefault("NAME", f"test_{DATABASES['default']['NAME']}_{_checkout}"[:63])  # noqa: F405

# The suite moves the clock by days and months (deadlines, expiries) while each persona keeps
# the token it logged in with; tests/accounts/test_tokens.py sets the production lifetimes
# where they are the subject.
FUNDFLOW_TOKEN_TTL_HOURS = FUNDFLOW_TOKEN_IDLE_HOURS = 24 * 365 * 10
