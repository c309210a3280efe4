# An objection points at the application objected to instead of the navigation project (the
# column and its values stay; the foreign key constraint now references grants_application).
# NoticeEntry: the notice keeps its own list of applications (navigation 0003 fills it from
# NavigationProject.notice, then drops that column).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("grants", "0004_merge_certificate_claim_and_budget_policy"),
        # the old models have left navigation's state before the tables are altered
        ("navigation", "0002_steps_moved_out"),
        ("notices", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="objection",
            name="project",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="objections", to="grants.application", verbose_name="application"),
        ),
        migrations.CreateModel(
            name="NoticeEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("withdrawn", models.BooleanField(default=False, verbose_name="withdrawn after an objection")),
                ("application", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="notice_entries", to="grants.application", verbose_name="application")),
                ("notice", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="entries", to="notices.notice", verbose_name="public notice")),
            ],
            options={
                "verbose_name": "application on a notice",
                "verbose_name_plural": "applications on notices",
                "ordering": ["notice_id", "application_id"],
                "constraints": [models.UniqueConstraint(fields=("notice", "application"), name="notice_entry_once")],
            },
        ),
    ]
