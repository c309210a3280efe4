from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    """Public notice (公示) of a decision over applications, with objections: a step any
    programme may use."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notices"
    verbose_name = _("Public notices")
