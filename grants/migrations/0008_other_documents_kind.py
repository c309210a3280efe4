"""Every programme takes "其他材料" (other documents, never required) beside its own kinds."""

from django.db import migrations
from django.db.models import Max


def add_other(apps, schema_editor):
    Program = apps.get_model("grants", "Program")
    AttachmentKind = apps.get_model("grants", "AttachmentKind")
    for program in Program.objects.all():
        if AttachmentKind.objects.filter(program=program, code="other").exists():
            continue
        last = AttachmentKind.objects.filter(program=program).aggregate(m=Max("position"))["m"]
        AttachmentKind.objects.create(
            program=program,
            code="other",
            label="其他材料",
            label_en="Other documents",
            required=False,
            position=(last or 0) + 1,
        )


class Migration(migrations.Migration):
    dependencies = [("grants", "0007_application_withdrawn_pledge")]

    operations = [migrations.RunPython(add_other, migrations.RunPython.noop)]
