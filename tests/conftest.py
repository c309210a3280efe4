"""Fixtures of the whole suite: the demo data, a client per persona, a submitted claim.

The demo (``demo.seed``) is seeded once per test run, into the test database right
after its migrations. An ordinary test runs inside a transaction that is rolled back
afterwards, so it starts from the seeded demo and whatever it changes is gone for the
next one. A test on ``transactional_db`` or ``live_server`` commits, and pytest-django
empties every table after it: the demo is then seeded again (``pytest_runtest_teardown``
below), so the next test finds it too.

Personas, clients, documents and factories are plain modules in ``tests/support/``
(shared with ``bench/``); this file only turns them into fixtures.
"""

from __future__ import annotations

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from demo.seed import PROGRAMS, seed_demo
from grants.models import Program, User
from tests.support.claims import submit_cert_claim
from tests.support.clients import Api, login
from tests.support.personas import ADMIN, APPLICANT

_database = {"ready": False, "media": None}


def _seed() -> None:
    # the seed stores no file; should it ever, not in the repository's media/
    with override_settings(MEDIA_ROOT=str(_database["media"])):
        seed_demo(timezone.localdate().year)


def _seeded() -> bool:
    """One cheap query: the seed runs in one transaction, so its last account means all."""
    return User.objects.filter(username=ADMIN).exists()


def pytest_runtest_setup(item):
    """Tests marked ``postgres`` need PostgreSQL's row locks: skipped, before any fixture
    sets up a database, when the suite runs on another database."""
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip(
                "row locks are a PostgreSQL property; CI and `make test` run this on PostgreSQL"
            )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """The test database, migrated (pytest-django), with the demo seeded once for the run."""
    _database["media"] = tmp_path_factory.mktemp("seed-media")
    with django_db_blocker.unblock():
        _seed()
    _database["ready"] = True
    yield
    _database["ready"] = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test's teardown: if it emptied the database (a transactional test's flush),
    seed the demo again before the next test. Skipped after the last test (the database is
    about to be destroyed) and before any database exists."""
    result = yield
    if _database["ready"] and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            if not _seeded():
                _seed()
    return result


@pytest.fixture
def demo(db, settings, tmp_path) -> list[Program]:
    """The demo data of the contract (seeded once per run); uploads go to this test's tmp_path."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if not _seeded():  # never expected (see pytest_runtest_teardown); correct all the same
        _seed()
    programs = {p.code: p for p in Program.objects.filter(code__in=[s["code"] for s in PROGRAMS])}
    return [programs[s["code"]] for s in PROGRAMS]


@pytest.fixture
def as_user(demo):
    """``as_user("reviewer-city")``: an API caller logged in as that persona."""
    return login


@pytest.fixture
def applicant(demo) -> Api:
    return login(APPLICANT)


@pytest.fixture
def submitted_app(applicant) -> dict:
    """A cert-subsidy claim by an enterprise in 天山区, submitted and waiting at district level."""
    return submit_cert_claim(applicant)


@pytest.fixture
def scored(applicant) -> list[dict]:
    """Two joint navigation projects scored by their experts: the first ranks higher."""
    from tests.support.navigation import scored_projects

    return scored_projects(applicant)
