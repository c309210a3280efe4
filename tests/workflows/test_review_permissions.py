"""Who may decide: level, jurisdiction and separation of duties."""

from grants.models import Jurisdiction, Membership, Organization, Role, RoleAssignment
from grants.reviewers import reviewer_appoint
from tests.support.claims import create_cert_app, decide, register_org


def test_reviewer_of_another_level_gets_409_and_non_reviewers_403(as_user, submitted_app):
    app_id = submitted_app["id"]
    assert decide(as_user("reviewer-city"), app_id, "approve").status_code == 409
    assert decide(as_user("reviewer-region"), app_id, "approve").status_code == 409
    for username in ("finance", "auditor"):
        assert decide(as_user(username), app_id, "approve").status_code == 403, username
    # the applicant sees the application but is no reviewer
    assert decide(as_user("applicant"), app_id, "approve").status_code == 403


def test_reviewer_outside_the_jurisdiction_gets_404(as_user, submitted_app):
    for username in ("reviewer-xinshi", "reviewer-midong", "reviewer-wulumuqixian"):
        assert decide(as_user(username), submitted_app["id"], "approve").status_code == 404, (
            username
        )


def test_reviewer_who_acts_for_the_applicant_may_not_decide(
    as_user, submitted_app, django_user_model
):
    reviewer = django_user_model.objects.get(username="reviewer-tianshan")
    Membership.objects.create(
        user=reviewer, organization=Organization.objects.get(pk=submitted_app["organization"])
    )
    response = decide(as_user("reviewer-tianshan"), submitted_app["id"], "approve")
    assert response.status_code == 403
    assert "separation" in response.json()["detail"].lower() or "职责" in response.json()["detail"]
    assert as_user("reviewer-tianshan").get("/tasks").json()["count"] == 0


def test_reviewer_who_decided_an_earlier_level_may_not_decide_the_next(
    as_user, submitted_app, django_user_model
):
    reviewer = django_user_model.objects.get(username="reviewer-tianshan")
    reviewer_appoint(
        user=reviewer, jurisdiction=Jurisdiction.objects.get(code="650100")
    )  # also a city reviewer
    tianshan = as_user("reviewer-tianshan")
    assert decide(tianshan, submitted_app["id"], "approve").status_code == 200
    assert tianshan.get("/tasks").json()["count"] == 0  # the city task is not offered to them
    assert decide(tianshan, submitted_app["id"], "approve").status_code == 403
    assert decide(as_user("reviewer-city"), submitted_app["id"], "approve").status_code == 200


def test_visibility_comes_from_guardian_permissions_on_jurisdictions(
    as_user, submitted_app, django_user_model
):
    from guardian.shortcuts import get_objects_for_user, remove_perm

    reviewer = django_user_model.objects.get(username="reviewer-tianshan")
    tianshan = Jurisdiction.objects.get(code="650102")
    assert list(get_objects_for_user(reviewer, "grants.review_in", klass=Jurisdiction)) == [
        tianshan
    ]
    remove_perm("grants.review_in", reviewer, tianshan)
    assert RoleAssignment.objects.filter(user=reviewer, role=Role.REVIEWER).exists()
    assert (
        as_user("reviewer-tianshan").get(f"/applications/{submitted_app['id']}").status_code == 404
    )
    # nor may they decide it: the decision reads the same permissions
    assert decide(as_user("reviewer-tianshan"), submitted_app["id"], "approve").status_code == 404


def test_review_granted_to_a_group_lets_its_members_see_and_decide(
    as_user, submitted_app, django_user_model
):
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm, remove_perm

    reviewer = django_user_model.objects.get(username="reviewer-tianshan")
    tianshan = Jurisdiction.objects.get(code="650102")
    remove_perm("grants.review_in", reviewer, tianshan)
    team = Group.objects.create(name="天山区审核组")
    assign_perm("grants.review_in", team, tianshan)
    reviewer.groups.add(team)
    api = as_user("reviewer-tianshan")
    assert api.get(f"/applications/{submitted_app['id']}").status_code == 200
    assert decide(api, submitted_app["id"], "approve").status_code == 200


def test_a_decision_on_a_draft_or_a_missing_application_is_not_found(as_user, applicant):
    draft = create_cert_app(applicant, register_org(applicant))  # in 天山区, not submitted
    tianshan = as_user("reviewer-tianshan")
    assert decide(tianshan, draft["id"], "approve").status_code == 404
    assert decide(tianshan, 999_999, "approve").status_code == 404
