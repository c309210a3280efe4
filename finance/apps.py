from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        from finance.models import Source
        from grants.labels import register_labels

        register_labels("source", Source.choices)  # central/region/city as words
