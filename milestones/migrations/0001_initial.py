# Contracts and milestones move out of the navigation app without touching a row: the
# tables keep their names (Meta.db_table), so this migration only tells Django's state that
# the models now live here (navigation 0002 removes them from navigation's state).
# Contract.project still points at navigation.NavigationProject, as in the database;
# 0002 points it at grants.Application (the project's primary key is the application id).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ("contract", "milestone")


def content_types_follow(apps, schema_editor):
    """Admin log entries and permissions keep pointing at the moved models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="milestones", model=model).exists():
            ContentType.objects.filter(app_label="navigation", model=model).update(
                app_label="milestones"
            )


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="navigation", model=model).exists():
            ContentType.objects.filter(app_label="milestones", model=model).update(
                app_label="navigation"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("finance", "0004_tranches"),
        ("navigation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Contract",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("number", models.CharField(max_length=40, unique=True, verbose_name="number")),
                        ("amount", models.DecimalField(decimal_places=2, max_digits=14, verbose_name="amount")),
                        ("starts_on", models.DateField(verbose_name="starts on")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at")),
                        ("project", models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="contract", to="navigation.navigationproject")),
                    ],
                    options={
                        "verbose_name": "contract",
                        "verbose_name_plural": "contracts",
                        "db_table": "navigation_contract",
                    },
                ),
                migrations.CreateModel(
                    name="Milestone",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("position", models.PositiveSmallIntegerField(verbose_name="position")),
                        ("code", models.SlugField(verbose_name="code")),
                        ("label", models.CharField(max_length=100, verbose_name="label")),
                        ("label_en", models.CharField(blank=True, max_length=100, verbose_name="English label")),
                        ("due_on", models.DateField(verbose_name="due on")),
                        ("share", models.PositiveSmallIntegerField(verbose_name="share of the award (%)")),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("submitted", "Submitted, in review"), ("returned", "Returned for changes"), ("accepted", "Accepted")], default="pending", max_length=10, verbose_name="status")),
                        ("report", models.TextField(blank=True, verbose_name="report")),
                        ("level_index", models.PositiveSmallIntegerField(default=0, verbose_name="review level index")),
                        ("submitted_at", models.DateTimeField(blank=True, null=True, verbose_name="submitted at")),
                        ("accepted_at", models.DateTimeField(blank=True, null=True, verbose_name="accepted at")),
                        ("escalated_at", models.DateTimeField(blank=True, null=True, verbose_name="overdue escalated at")),
                        ("contract", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="milestones", to="milestones.contract")),
                        ("tranche", models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="milestone", to="finance.tranche", verbose_name="tranche")),
                    ],
                    options={
                        "verbose_name": "milestone",
                        "verbose_name_plural": "milestones",
                        "db_table": "navigation_milestone",
                        "ordering": ["contract_id", "position"],
                        "constraints": [models.UniqueConstraint(fields=("contract", "position"), name="milestone_position")],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_go_back, elidable=True),
    ]
