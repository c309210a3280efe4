"""Bad input to the organisation endpoints of issue #20 is a 4xx with a message, never a 500."""

from __future__ import annotations

import pytest

from tests.support.claims import register_org
from tests.support.organizations import signed_up

JUNK = [
    None,
    [],
    "x",
    17,
    {"bank_account": "x"},
    {"bank_account": {"account_number": 123, "cnaps_code": ["1"], "bank_name": {}}},
    {"bank_account": {"account_number": "１２３", "cnaps_code": "10288100001４"}},
    {"role": 5},
    {"role": "owner"},
    {"email": ["a@b.cn"]},
    {"email": "x" * 400 + "@example.cn"},
    {"reason": 0},
    {"token": None},
    {"token": "x" * 5000},
    {"uscc": 1, "district": None, "reason": "r"},
    {"uscc": "91650102MA" + "7" * 8, "district": "999999", "reason": "r"},
    {"outcome": "maybe", "resolution": 7},
    {"decision": None, "comment": ["x"]},
    {"message": {"a": 1}},
]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_junk_bodies_are_refused_not_500(applicant, as_user, junk):
    org_id = register_org(applicant, serial=8800)
    other = signed_up("junk-sender")
    rid = other.post(f"/organizations/{org_id}/join-requests").json()["id"]
    admin = as_user("admin")
    reviewer = as_user("reviewer-tianshan")
    calls = [
        (applicant, "patch", f"/organizations/{org_id}"),
        (applicant, "post", "/organizations"),
        (other, "post", f"/organizations/{org_id}/join-requests"),
        (applicant, "post", f"/organizations/{org_id}/join-requests/{rid}/reject"),
        (applicant, "post", f"/organizations/{org_id}/invitations"),
        (applicant, "post", f"/organizations/{org_id}/members/1/role"),
        (other, "post", "/invitations/accept"),
        (admin, "post", "/uscc-region-overrides"),
        (reviewer, "post", f"/organizations/{org_id}/disputes"),
        (reviewer, "post", f"/organizations/{org_id}/disputes/1/resolve"),
        (reviewer, "post", f"/organizations/{org_id}/authority-letters/1/check"),
        (applicant, "post", f"/organizations/{org_id}/bank-account/changes/1/confirm"),
    ]
    for api, method, path in calls:
        if junk is None:
            response = (
                api.post_raw(path, "{not json") if method == "post" else api.patch(path, None)
            )
        else:
            response = getattr(api, method)(path, junk)
        assert response.status_code < 500, (path, junk, response.status_code)
        if response.status_code >= 400:
            problem = response.json()
            assert problem.get("detail") or problem.get("errors"), (path, response.content)


POSTS = {"approve", "reject", "confirm", "role"}


def test_path_ids_that_are_not_numbers_or_too_large(applicant):
    for path in (
        "/organizations/abc",
        "/organizations/99999999999999999999",
        "/organizations/99999999999999999999/members",
        "/organizations/1/join-requests/99999999999999999999/approve",
        "/organizations/99999999999999999999/join-requests/1/reject",
        "/organizations/1/members/99999999999999999999/role",
        "/organizations/1/bank-account/changes/x/confirm",
    ):
        method = applicant.post if path.rsplit("/", 1)[-1] in POSTS else applicant.get
        response = method(path)
        assert 400 <= response.status_code < 500, (path, response.status_code)
