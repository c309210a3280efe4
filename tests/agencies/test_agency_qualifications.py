"""A qualification about to expire warns the agency and the administrators 30 days ahead;
on expiry the agency is suspended and takes no new voucher."""

import datetime as dt
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from agencies.models import Agency, Qualification
from grants.notifications import Notification
from tests.support.vouchers import demo_agency_id, issue, redeem, register_smes


def test_warn_thirty_days_ahead_then_suspend(demo, as_user):
    admin, sme = as_user("admin"), as_user("applicant")
    agency_id = demo_agency_id(sme)
    today = timezone.localdate()
    response = admin.post(
        f"/agencies/{agency_id}/qualifications",
        {
            "name": "专利代理机构执业许可证",
            "number": "65001",
            "expires_on": (today + dt.timedelta(days=40)).isoformat(),
        },
    )
    assert response.status_code == 201, response.content

    call_command(
        "agency_qualifications",
        "--today",
        (today + dt.timedelta(days=9)).isoformat(),
        stdout=StringIO(),
    )
    assert not Notification.objects.filter(kind="qualification_warn").exists()  # 31 days ahead

    call_command(
        "agency_qualifications",
        "--today",
        (today + dt.timedelta(days=10)).isoformat(),
        stdout=StringIO(),
    )
    warned = set(
        Notification.objects.filter(kind="qualification_warn").values_list(
            "user__username", flat=True
        )
    )
    assert {"agency", "admin"} <= warned
    call_command(
        "agency_qualifications",
        "--today",
        (today + dt.timedelta(days=11)).isoformat(),
        stdout=StringIO(),
    )
    assert (
        Notification.objects.filter(kind="qualification_warn", user__username="agency").count() == 1
    )

    assert Agency.objects.get(pk=agency_id).status == "admitted"
    from agencies.services.registry import qualifications_check

    assert qualifications_check(today=today + dt.timedelta(days=41)) == {
        "warned": 0,
        "suspended": 1,
    }
    assert Agency.objects.get(pk=agency_id).status == "suspended"
    assert Qualification.objects.get().lapsed
    history = admin.get(f"/agencies/{agency_id}").json()["history"]
    assert history[-1]["to"] == "suspended"

    voucher = issue(admin, register_smes(1)[0])
    assert redeem(sme, voucher["id"], agency_id).status_code == 409


def test_only_administrators_manage_the_registry(demo, as_user):
    agency_id = demo_agency_id(as_user("applicant"))
    response = as_user("agency").post(
        f"/agencies/{agency_id}/status", {"status": "admitted", "reason": "自己恢复"}
    )
    assert response.status_code == 403
