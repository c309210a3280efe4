from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MilestonesConfig(AppConfig):
    """A contract's milestones, each reviewed like an application and paid by its tranche:
    a step any programme may use."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "milestones"
    verbose_name = _("Contracts and milestones")
