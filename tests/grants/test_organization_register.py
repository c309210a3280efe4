from grants.models import AuditEntry, Membership, Organization
from tests.support.documents import make_uscc


def org_body(**overrides):
    body = {
        "name": "乌鲁木齐天山新材料科技有限公司",
        "uscc": make_uscc(7),
        "kind": "enterprise",
        "district": "650102",
        "is_sme": True,
    }
    body.update(overrides)
    return body


def test_applicant_registers_organisation_and_becomes_owner(applicant):
    response = applicant.post("/organizations", org_body())
    assert response.status_code == 201
    org = Organization.objects.get(pk=response.json()["id"])
    assert org.district_id == "650102" and org.is_sme
    assert Membership.objects.get(organization=org).user.username == "applicant"
    assert (
        AuditEntry.objects.filter(action="organization.register", object_id=str(org.pk)).count()
        == 1
    )


def test_bad_uscc_is_422_on_field_uscc_and_nothing_written(applicant):
    before = (Organization.objects.count(), AuditEntry.objects.count())
    response = applicant.post("/organizations", org_body(uscc="91650102MA0000001X"))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["uscc"]
    assert (Organization.objects.count(), AuditEntry.objects.count()) == before


def test_duplicate_uscc_is_409(applicant, as_user):
    before = Organization.objects.count()  # the demo data holds one service agency
    assert applicant.post("/organizations", org_body()).status_code == 201
    response = applicant.post("/organizations", org_body(name="另一家公司"))
    assert response.status_code == 409
    assert Organization.objects.count() == before + 1


def test_unknown_district_and_kind_are_reported_together(applicant):
    response = applicant.post("/organizations", org_body(district="650100", kind="bank"))
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"district", "kind"}


def test_reviewer_cannot_register_an_organisation(as_user):
    response = as_user("reviewer-tianshan").post("/organizations", org_body())
    assert response.status_code == 403
