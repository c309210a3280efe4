"""Two requests redeem the same voucher at once (real threads, PostgreSQL): one wins, one 409."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, Redemption, Voucher
from agencies.services.vouchers import voucher_issue
from grants.models import User
from tests.support.vouchers import register_smes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_of_one_voucher(demo, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks are a PostgreSQL property; CI and `make test` run this on PostgreSQL"
        )
    settings.MEDIA_ROOT = tmp_path
    sme = register_smes(1)[0]
    admin = User.objects.get(username="admin")
    voucher = voucher_issue(actor=admin, program_code="service-voucher", organization_id=sme.pk)
    agency = Agency.objects.get(organization__name__startswith="乌鲁木齐天山")

    barrier = threading.Barrier(2)
    results: list[int] = []

    def redeem(contract: str) -> None:
        try:
            client = Client()
            token = client.post(
                "/api/v1/auth/token",
                json.dumps({"username": "applicant", "password": "demo-pass-2026"}),
                content_type="application/json",
            ).json()["token"]
            barrier.wait()
            response = client.post(
                f"/api/v1/vouchers/{voucher.pk}/redeem",
                json.dumps(
                    {
                        "agency": agency.pk,
                        "service": "custody",
                        "contract_number": contract,
                        "contract_date": timezone.localdate().isoformat(),
                        "contract_price": "9000.00",
                    }
                ),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(f"HT-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    assert Redemption.objects.filter(voucher=voucher).count() == 1
    assert Voucher.objects.get(pk=voucher.pk).status == "redeemed"
