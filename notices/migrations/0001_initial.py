# Public notices and objections move out of the navigation app without touching a row: the
# tables keep their names (Meta.db_table), so this migration only tells Django's state that
# the models now live here (navigation 0002 removes them from navigation's state).
# Objection.project still points at navigation.NavigationProject, as in the database;
# 0002 points it at grants.Application and adds the notice's own list of applications.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ("notice", "objection")


def content_types_follow(apps, schema_editor):
    """Admin log entries and permissions keep pointing at the moved models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="notices", model=model).exists():
            ContentType.objects.filter(app_label="navigation", model=model).update(
                app_label="notices"
            )


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="navigation", model=model).exists():
            ContentType.objects.filter(app_label="notices", model=model).update(
                app_label="navigation"
            )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("grants", "0004_merge_certificate_claim_and_budget_policy"),
        ("navigation", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Notice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("number", models.CharField(max_length=30, unique=True, verbose_name="number")),
                        ("status", models.CharField(choices=[("open", "Open"), ("signed_off", "Signed off by the region")], default="open", max_length=12, verbose_name="status")),
                        ("published_at", models.DateTimeField(verbose_name="published at")),
                        ("ends_at", models.DateTimeField(verbose_name="ends at")),
                        ("working_days", models.PositiveSmallIntegerField(verbose_name="working days")),
                        ("comment", models.TextField(blank=True, verbose_name="city decision comment")),
                        ("signed_off_at", models.DateTimeField(blank=True, null=True, verbose_name="signed off at")),
                        ("decided_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("program", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="notices", to="grants.program", verbose_name="programme")),
                        ("signed_off_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "public notice",
                        "verbose_name_plural": "public notices",
                        "db_table": "navigation_notice",
                        "ordering": ["-published_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Objection",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("contact", models.CharField(max_length=100, verbose_name="contact")),
                        ("text", models.TextField(verbose_name="objection")),
                        ("filed_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="filed at")),
                        ("status", models.CharField(choices=[("open", "Open"), ("dismissed", "Dismissed"), ("upheld", "Upheld: the project is withdrawn")], default="open", max_length=10, verbose_name="status")),
                        ("resolution", models.TextField(blank=True, verbose_name="resolution")),
                        ("resolved_at", models.DateTimeField(blank=True, null=True, verbose_name="resolved at")),
                        ("notice", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="objections", to="notices.notice")),
                        ("project", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="objections", to="navigation.navigationproject")),
                        ("resolved_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "objection",
                        "verbose_name_plural": "objections",
                        "db_table": "navigation_objection",
                        "ordering": ["id"],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_go_back, elidable=True),
    ]
