"""Application numbers stay unique and gap-free when many processes create at once (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection, connections

from grants.models import Application, User
from grants.services import application_create
from tests.support.factories import OrganizationFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_distinct_consecutive_numbers(demo, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks are a PostgreSQL property; CI and `make test` run this on PostgreSQL"
        )
    user = User.objects.get(username="applicant")
    org = OrganizationFactory(name="并发测试公司", members=[user])
    barrier = threading.Barrier(8)
    errors = []

    def create():
        try:
            barrier.wait()
            for _ in range(5):
                application_create(actor=user, program_code="cert-subsidy", organization_id=org.pk)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    serials = sorted(int(n[-6:]) for n in Application.objects.values_list("number", flat=True))
    assert serials == list(range(1, 41))
