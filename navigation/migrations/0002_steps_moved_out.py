# The generic steps left the navigation app: Expert, ExpertConflict, ExpertDraw, ExpertReview
# (experts), Notice, Objection (notices), Contract, Milestone (milestones). Their tables stay
# as they are (the new apps' models keep the db_table): everything here is state only.
# NavigationProject.notice is pointed at notices.Notice first (same table, so the database
# is untouched), then 0003 copies it into notices.NoticeEntry and drops the column.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("experts", "0001_initial"),
        ("milestones", "0001_initial"),
        ("navigation", "0001_initial"),
        ("notices", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="navigationproject",
                    name="notice",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="projects", to="notices.notice"),
                ),
                migrations.RemoveField(model_name="expertdraw", name="replaces"),
                migrations.DeleteModel(name="Milestone"),
                migrations.DeleteModel(name="Contract"),
                migrations.DeleteModel(name="Objection"),
                migrations.DeleteModel(name="ExpertReview"),
                migrations.DeleteModel(name="ExpertDraw"),
                migrations.DeleteModel(name="ExpertConflict"),
                migrations.DeleteModel(name="Expert"),
                migrations.DeleteModel(name="Notice"),
            ],
        ),
    ]
