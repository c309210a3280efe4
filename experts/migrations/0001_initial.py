# The expert pool and expert reviews move out of the navigation app without touching a row:
# the tables keep their names (Meta.db_table), so this migration only tells Django's state
# that the models now live here (navigation 0002 removes them from navigation's state).
# The foreign keys still point at navigation.NavigationProject, as in the database;
# 0002 points them at grants.Application (the project's primary key is the application id).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ("expert", "expertconflict", "expertdraw", "expertreview")


def content_types_follow(apps, schema_editor):
    """Admin log entries and permissions keep pointing at the moved models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="experts", model=model).exists():
            ContentType.objects.filter(app_label="navigation", model=model).update(
                app_label="experts"
            )


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="navigation", model=model).exists():
            ContentType.objects.filter(app_label="experts", model=model).update(
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
                    name="Expert",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        ("title", models.CharField(blank=True, max_length=100, verbose_name="title")),
                        ("industries", models.JSONField(default=list, verbose_name="fields of expertise")),
                        ("is_active", models.BooleanField(default=True, verbose_name="in the pool")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at")),
                        ("employer", models.ForeignKey(blank=True, help_text="An expert is never drawn for an application of this organisation.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="experts", to="grants.organization", verbose_name="employer")),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="expert", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "expert",
                        "verbose_name_plural": "expert pool",
                        "db_table": "navigation_expert",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="ExpertConflict",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("reason", models.CharField(max_length=200, verbose_name="reason")),
                        ("declared_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="declared at")),
                        ("expert", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="conflicts", to="experts.expert")),
                        ("organization", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="grants.organization", verbose_name="organisation")),
                    ],
                    options={
                        "verbose_name": "declared conflict of interest",
                        "verbose_name_plural": "declared conflicts of interest",
                        "db_table": "navigation_expertconflict",
                        "constraints": [models.UniqueConstraint(fields=("expert", "organization"), name="expert_conflict_once")],
                    },
                ),
                migrations.CreateModel(
                    name="ExpertDraw",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seed", models.CharField(max_length=40, verbose_name="seed")),
                        ("wanted", models.PositiveSmallIntegerField(verbose_name="experts wanted")),
                        ("candidates", models.JSONField(default=list, verbose_name="candidates")),
                        ("conflicts", models.JSONField(default=dict, verbose_name="conflicts of the candidates")),
                        ("drawn", models.JSONField(default=list, verbose_name="drawn")),
                        ("skipped", models.JSONField(default=list, verbose_name="skipped")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at")),
                        ("created_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="draws", to="navigation.navigationproject")),
                    ],
                    options={
                        "verbose_name": "expert draw",
                        "verbose_name_plural": "expert draws",
                        "db_table": "navigation_expertdraw",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="ExpertReview",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("status", models.CharField(choices=[("drawn", "Drawn, declaration pending"), ("declared", "No conflict declared, scoring"), ("conflict", "Conflict declared, replaced"), ("submitted", "Scores submitted")], default="drawn", max_length=10, verbose_name="status")),
                        ("declared_at", models.DateTimeField(blank=True, null=True, verbose_name="declared at")),
                        ("conflict_reason", models.CharField(blank=True, max_length=300, verbose_name="conflict declared")),
                        ("scores", models.JSONField(blank=True, default=dict, verbose_name="scores")),
                        ("total", models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True, verbose_name="weighted total")),
                        ("comment", models.TextField(blank=True, verbose_name="comment")),
                        ("submitted_at", models.DateTimeField(blank=True, null=True, verbose_name="submitted at")),
                        ("draw", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="reviews", to="experts.expertdraw")),
                        ("expert", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="reviews", to="experts.expert")),
                        ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="reviews", to="navigation.navigationproject")),
                    ],
                    options={
                        "verbose_name": "expert review",
                        "verbose_name_plural": "expert reviews",
                        "db_table": "navigation_expertreview",
                        "ordering": ["id"],
                        "constraints": [models.UniqueConstraint(fields=("project", "expert"), name="expert_reviews_project_once")],
                    },
                ),
                migrations.AddField(
                    model_name="expertdraw",
                    name="replaces",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="experts.expertreview"),
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_go_back, elidable=True),
    ]
