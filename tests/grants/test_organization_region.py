"""The USCC's registration authority (characters 3–8) lies in the chosen district's city."""

from __future__ import annotations

import pytest

from grants.audit import AuditEntry
from grants.models import Organization, UsccRegionOverride
from tests.support.documents import make_uscc


def body(uscc: str, district: str = "650102", name: str = "乌鲁木齐测试科技有限公司") -> dict:
    return {"name": name, "uscc": uscc, "kind": "enterprise", "district": district}


@pytest.mark.parametrize(
    "region, district",
    [
        ("650102", "650102"),  # the district itself
        ("650105", "650102"),  # another district of Urumqi
        ("650121", "650109"),  # 乌鲁木齐县 is in the city too
        ("650100", "650107"),  # the city's own registration authority
        ("650000", "650104"),  # the region's
    ],
)
def test_codes_registered_in_the_city_or_above_pass(applicant, region, district):
    response = applicant.post("/organizations", body(make_uscc(3100, region), district))
    assert response.status_code == 201, response.content


def test_a_code_from_another_city_is_refused_at_the_field(applicant):
    before = (Organization.objects.count(), AuditEntry.objects.count())
    uscc = make_uscc(3101, "650200")  # 克拉玛依市
    response = applicant.post("/organizations", body(uscc))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["uscc"]
    assert "650200" in errors[0]["message"]
    assert (Organization.objects.count(), AuditEntry.objects.count()) == before


def test_the_administrators_override_with_a_reason_is_audited(applicant, as_user):
    uscc = make_uscc(3102, "650200")
    admin = as_user("admin")
    # not the applicant's to grant; a reason is required
    grant = {"uscc": uscc, "district": "650104", "reason": "迁入高新区，营业执照尚未换发"}
    assert applicant.post("/uscc-region-overrides", grant).status_code == 403
    no_reason = admin.post("/uscc-region-overrides", grant | {"reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    # a code of the city needs no exception
    needless = admin.post("/uscc-region-overrides", grant | {"uscc": make_uscc(3103)})
    assert needless.status_code == 422

    granted = admin.post("/uscc-region-overrides", grant)
    assert granted.status_code == 201, granted.content
    entry = AuditEntry.objects.get(action="organization.region_override")
    assert entry.actor.username == "admin" and entry.comment == grant["reason"]
    assert entry.data["region"] == "650200"

    # only in the district it was granted for
    assert applicant.post("/organizations", body(uscc, "650102")).status_code == 422
    registered = applicant.post("/organizations", body(uscc, "650104"))
    assert registered.status_code == 201, registered.content
    entry = AuditEntry.objects.get(
        action="organization.register", object_id=str(registered.json()["id"])
    )
    assert entry.data["region_override"]["reason"] == grant["reason"]
    assert entry.data["region_override"]["granted_by"] == "admin"
    assert UsccRegionOverride.objects.get().organization_id == registered.json()["id"]
