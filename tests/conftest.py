"""Fixtures of the whole suite: the demo data, a client per persona, a submitted claim.

Personas, clients, documents and factories are plain modules in ``tests/support/``
(shared with ``bench/``); this file only turns them into fixtures.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from demo.seed import seed_demo
from tests.support.claims import submit_cert_claim
from tests.support.clients import Api, login
from tests.support.personas import APPLICANT


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return seed_demo(timezone.localdate().year)


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
