from django.db import migrations


def seed(apps, schema_editor):
    """Once the first seed of the table; migration 0003 now seeds it from
    ``indicators/data/indicators.json`` (this step's old code no longer fits the model)."""


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
