"""The expert draw: random among matching experts, never a conflicted one, replayable from its seed."""

from __future__ import annotations

import pytest

from experts.draw import draw_experts
from experts.models import Expert, ExpertDraw, ExpertReview
from tests.support.claims import register_org
from tests.support.clients import login
from tests.support.navigation import (
    confirm_partners,
    create_project,
    register_agency,
    through_eligibility,
)


def test_a_conflicted_expert_is_never_drawn_whatever_the_seed():
    candidates = list(range(1, 9))
    conflicts = {"3": "partner_agency", "5": "declared: 顾问"}
    seen = set()
    for seed in range(300):
        result = draw_experts(candidates, conflicts, 5, str(seed))
        assert len(result.drawn) == 5 and not {3, 5} & set(result.drawn)
        seen.update(result.drawn)
        assert all(s["expert"] in (3, 5) for s in result.skipped)
    assert seen == {1, 2, 4, 6, 7, 8}  # every free expert gets drawn sometimes: it is random


def test_the_same_seed_gives_the_same_draw_and_another_seed_may_not():
    candidates = [11, 4, 7, 2, 9, 30, 5]
    first = draw_experts(candidates, {}, 3, "seed-A")
    assert draw_experts(list(reversed(candidates)), {}, 3, "seed-A").drawn == first.drawn
    assert any(draw_experts(candidates, {}, 3, f"seed-{i}").drawn != first.drawn for i in range(20))


@pytest.fixture
def eligible_project(applicant):
    lead = register_org(applicant, serial=811, name="米东化工园区", kind="park")
    agency = register_agency(applicant, 911)
    project = create_project(applicant, lead=lead, partners=[agency])
    confirm_partners(applicant, project)
    assert applicant.post(f"/applications/{project['id']}/submit").status_code == 200
    through_eligibility(project["id"])
    return project | {"agency": agency}


def test_a_declared_conflict_replaces_the_expert_and_is_recorded(eligible_project):
    admin = login("admin")
    r = admin.post(f"/navigation/projects/{eligible_project['id']}/draws", {"seed": "42"})
    assert r.status_code == 201, r.content
    review = ExpertReview.objects.filter(project_id=eligible_project["id"]).first()
    expert = login(review.expert.user.username)
    r = expert.post(
        f"/navigation/reviews/{review.pk}/declaration",
        {"conflict": True, "reason": "近三年与申报单位有合作"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "conflict" and r.json()["application"] is None
    draws = admin.get(f"/navigation/projects/{eligible_project['id']}/draws").json()
    assert len(draws) == 2 and draws[1]["replaces"] == review.pk
    assert review.expert_id not in draws[1]["drawn"] and len(draws[1]["drawn"]) == 1
    active = ExpertReview.objects.filter(project_id=eligible_project["id"]).exclude(
        status="conflict"
    )
    assert active.count() == 5
    # the declaration is final; the application stays hidden from this expert
    assert expert.get(f"/applications/{eligible_project['id']}").status_code == 404
    r = expert.post(f"/navigation/reviews/{review.pk}/declaration", {"conflict": False})
    assert r.status_code == 409


def test_too_few_conflict_free_experts_is_a_conflict_and_draws_nothing(eligible_project):
    Expert.objects.exclude(user__username__in=["expert-1", "expert-2"]).update(is_active=False)
    r = login("admin").post(f"/navigation/projects/{eligible_project['id']}/draws", {})
    assert r.status_code == 409
    assert not ExpertDraw.objects.exists()


def test_only_an_administrator_draws_and_only_after_eligibility(applicant, eligible_project):
    assert (
        login("reviewer-city")
        .post(f"/navigation/projects/{eligible_project['id']}/draws", {})
        .status_code
        == 403
    )
    admin = login("admin")
    assert admin.post(f"/navigation/projects/{eligible_project['id']}/draws", {}).status_code == 201
    assert admin.post(f"/navigation/projects/{eligible_project['id']}/draws", {}).status_code == 409
