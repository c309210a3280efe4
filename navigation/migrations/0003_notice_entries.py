# Which projects a public notice lists moves from NavigationProject.notice to the notices app's
# own NoticeEntry rows (a project withdrawn after an upheld objection: withdrawn=True); then
# the column goes. Backwards, the column comes back and is filled from the entries.

from django.db import migrations

WITHDRAWN = "withdrawn"  # navigation.models.Stage.WITHDRAWN


def entries_from_projects(apps, schema_editor):
    NavigationProject = apps.get_model("navigation", "NavigationProject")
    NoticeEntry = apps.get_model("notices", "NoticeEntry")
    listed = NavigationProject.objects.filter(notice__isnull=False).values_list(
        "application_id", "notice_id", "stage"
    )
    NoticeEntry.objects.bulk_create(
        [
            NoticeEntry(application_id=app_id, notice_id=notice_id, withdrawn=stage == WITHDRAWN)
            for app_id, notice_id, stage in listed.order_by("notice_id", "application_id")
        ],
        ignore_conflicts=True,
    )


def projects_from_entries(apps, schema_editor):
    NavigationProject = apps.get_model("navigation", "NavigationProject")
    NoticeEntry = apps.get_model("notices", "NoticeEntry")
    for app_id, notice_id in NoticeEntry.objects.order_by("notice_id").values_list(
        "application_id", "notice_id"
    ):
        NavigationProject.objects.filter(pk=app_id).update(notice_id=notice_id)
    NoticeEntry.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("navigation", "0002_steps_moved_out"),
        ("notices", "0002_project_is_the_application_and_entries"),
    ]

    operations = [
        migrations.RunPython(entries_from_projects, projects_from_entries),
        migrations.RemoveField(model_name="navigationproject", name="notice"),
    ]
