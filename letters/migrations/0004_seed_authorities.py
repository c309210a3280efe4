"""Seed the issuing authorities and programme letter settings of an existing database.

On a fresh database the jurisdictions and programmes are created later (``seed_demo`` or an
administrator), and ``letters.services.authority_for`` / ``letter_settings`` create their
rows from the same defaults the first time they are needed. The 代字 other than the city's
乌知运 are placeholders an administrator replaces (letters/authorities.py).
"""

from django.conf import settings
from django.db import migrations


def seed(apps, schema_editor):
    from letters.authorities import DEFAULT_REGULATION, default_authority

    Jurisdiction = apps.get_model("grants", "Jurisdiction")
    Program = apps.get_model("grants", "Program")
    IssuingAuthority = apps.get_model("letters", "IssuingAuthority")
    ProgramLetterSettings = apps.get_model("letters", "ProgramLetterSettings")
    for place in Jurisdiction.objects.all():
        name, prefix, review_body = default_authority(place.code, place.name)
        if place.level == "city":
            name, prefix = settings.FUNDFLOW_LETTER_AUTHORITY, settings.FUNDFLOW_LETTER_PREFIX
        IssuingAuthority.objects.get_or_create(
            jurisdiction=place,
            defaults={"name": name, "code_prefix": prefix, "reconsideration_body": review_body},
        )
    for program in Program.objects.all():
        ProgramLetterSettings.objects.get_or_create(
            program=program, defaults={"regulation": DEFAULT_REGULATION}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0003_authorities_and_signatures"),
        ("grants", "0004_merge_certificate_claim_and_budget_policy"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
