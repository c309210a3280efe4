from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    """The expert pool and the expert review of an application: a step any programme may use."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "experts"
    verbose_name = _("Expert review")
