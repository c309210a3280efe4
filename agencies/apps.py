from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Service agencies and vouchers")

    def ready(self) -> None:
        from agencies import kind, views
        from grants import kinds
        from grants.models import ProgramKind

        kinds.register(
            ProgramKind.VOUCHER,
            kind.hooks(portal_home=views.portal_home, portal_panel=views.portal_panel),
        )
