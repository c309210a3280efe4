"""The generic steps left the navigation app without losing a row: a database at main's state
(navigation 0001) with experts, a notice, objections and a contract migrates to the new apps,
the foreign keys now name the application, and the notice's list is its own (NoticeEntry)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from demo.seed import seed_demo

MAIN = [
    ("navigation", "0001_initial"),
    ("experts", "0001_initial"),
    ("notices", "0001_initial"),
    ("milestones", "0001_initial"),
]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_keep_their_values_and_the_notice_list_moves_to_entries(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_demo(timezone.localdate().year)
    executor = _migrate([("navigation", "0001_initial")])
    try:
        old = executor.loader.project_state(MAIN).apps
        User = old.get_model("grants", "User")
        Program = old.get_model("grants", "Program")
        Organization = old.get_model("grants", "Organization")
        Application = old.get_model("grants", "Application")
        Project = old.get_model("navigation", "NavigationProject")
        Notice = old.get_model("navigation", "Notice")
        Objection = old.get_model("navigation", "Objection")
        Expert = old.get_model("navigation", "Expert")
        Draw = old.get_model("navigation", "ExpertDraw")
        Review = old.get_model("navigation", "ExpertReview")
        Contract = old.get_model("navigation", "Contract")

        admin = User.objects.get(username="admin")
        program = Program.objects.get(code="navigation")
        lead = Organization.objects.filter(kind="alliance").first() or Organization.objects.first()
        now = timezone.now()
        apps = [
            Application.objects.create(
                number=f"PN-MIG-{i}",
                program=program,
                organization=lead,
                status="in_review",
                award_amount=Decimal("300000.00"),
                created_by=admin,
            )
            for i in range(3)
        ]
        notice = Notice.objects.create(
            number="GS-MIG-0001",
            program=program,
            published_at=now - dt.timedelta(days=10),
            ends_at=now - dt.timedelta(days=3),
            working_days=5,
            decided_by=admin,
        )
        stages = ["awarded", "withdrawn", "scored"]
        projects = [
            Project.objects.create(
                application=app,
                industry="新材料",
                stage=stage,
                notice=notice if stage != "scored" else None,
            )
            for app, stage in zip(apps, stages, strict=True)
        ]
        Objection.objects.create(
            notice=notice, project=projects[1], name="张三", contact="138", text="异议"
        )
        expert = Expert.objects.first()
        draw = Draw.objects.create(project=projects[0], seed="s", wanted=1, created_by=admin)
        review = Review.objects.create(project=projects[0], expert=expert, draw=draw)
        Contract.objects.create(
            project=projects[0],
            number="PN-MIG-0-HT",
            amount=Decimal("300000.00"),
            starts_on=timezone.localdate(),
        )
    finally:
        executor = _migrate(executor.loader.graph.leaf_nodes())

    from experts.models import ExpertDraw, ExpertReview
    from grants.models import Application as App
    from milestones.models import Contract as NewContract
    from navigation.models import NavigationProject
    from notices.models import NoticeEntry
    from notices.models import Objection as NewObjection

    assert list(
        NoticeEntry.objects.order_by("application_id").values_list(
            "notice__number", "application_id", "withdrawn"
        )
    ) == [("GS-MIG-0001", apps[0].pk, False), ("GS-MIG-0001", apps[1].pk, True)]
    assert NavigationProject.objects.get(pk=apps[0].pk).notice.number == "GS-MIG-0001"
    assert NavigationProject.objects.get(pk=apps[2].pk).notice is None
    assert isinstance(ExpertReview.objects.get(pk=review.pk).project, App)
    assert ExpertReview.objects.get(pk=review.pk).project_id == apps[0].pk
    assert ExpertDraw.objects.get(pk=draw.pk).project_id == apps[0].pk
    assert NewObjection.objects.get().project_id == apps[1].pk
    assert NewContract.objects.get().project.number == "PN-MIG-0"
