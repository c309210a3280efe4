"""Text longer than its column is refused before the database sees it, on every model save.

PostgreSQL refuses a value longer than a ``varchar`` column with an error that names no
field; SQLite stores it silently. Checking every ``CharField`` here, before each save of a
model of this project, gives both the same answer: a 422 naming the field, nothing stored.
Services still state their own, often shorter, limits in words; this is the last line.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import pre_save
from django.utils.translation import gettext as _

from grants.errors import InvalidInput

PROJECT_APPS: set[str] = set()


def too_long(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if sender._meta.app_label not in PROJECT_APPS:
        return
    errors = []
    for field in sender._meta.concrete_fields:
        if not isinstance(field, models.CharField) or not field.max_length:
            continue
        value = getattr(instance, field.attname, None)
        if isinstance(value, str) and len(value) > field.max_length:
            errors.append(
                {
                    "field": field.name,
                    "message": _("At most %(n)d characters.") % {"n": field.max_length},
                }
            )
    if errors:
        raise InvalidInput(errors)


def guard_lengths(app_labels: set[str]) -> None:
    """Check the text lengths of these apps' models on every save (from ``ready()``)."""
    PROJECT_APPS.update(app_labels)
    pre_save.connect(too_long, dispatch_uid="fundflow-text-lengths")
