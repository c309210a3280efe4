from pathlib import Path

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Grants")

    def ready(self) -> None:
        from django.apps import apps

        from grants import kinds
        from grants.lengths import guard_lengths

        kinds.register_defaults()
        # every app of this repository (a folder beside grants/), not Django's or viewflow's
        here = Path(self.path).parent
        guard_lengths({a.label for a in apps.get_app_configs() if Path(a.path).parent == here})
