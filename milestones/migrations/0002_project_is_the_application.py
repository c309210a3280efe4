# The contract points at the application instead of the navigation project: the column
# (project_id) and its values stay, only the foreign key constraint now references
# grants_application (a navigation project's primary key is its application id).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("grants", "0004_merge_certificate_claim_and_budget_policy"),
        ("milestones", "0001_initial"),
        # the old models have left navigation's state before the tables are altered
        ("navigation", "0002_steps_moved_out"),
    ]

    operations = [
        migrations.AlterField(
            model_name="contract",
            name="project",
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="contract", to="grants.application", verbose_name="application"),
        ),
    ]
