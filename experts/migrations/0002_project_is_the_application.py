# The draws and reviews point at the application under review instead of the navigation
# project: the column (project_id) and its values stay, only the foreign key constraint now
# references grants_application (a navigation project's primary key is its application id).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("experts", "0001_initial"),
        ("grants", "0004_merge_certificate_claim_and_budget_policy"),
        # the old models have left navigation's state before the tables are altered
        ("navigation", "0002_steps_moved_out"),
    ]

    operations = [
        migrations.AlterField(
            model_name="expertdraw",
            name="project",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="expert_draws", to="grants.application", verbose_name="application"),
        ),
        migrations.AlterField(
            model_name="expertreview",
            name="project",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="expert_reviews", to="grants.application", verbose_name="application"),
        ),
    ]
