from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Service agencies and vouchers")

    def ready(self) -> None:
        from agencies import indicators, kind, views
        from agencies.models import Service
        from grants import kinds
        from grants.labels import register_labels
        from grants.models import ProgramKind
        from indicators.registry import register_source

        register_labels("service", Service.choices)  # a claim's service field shows its name
        kinds.register(
            ProgramKind.VOUCHER,
            kind.hooks(
                portal_home=views.portal_home,
                portal_panel=views.portal_panel,
                apply_link=views.apply_link,
            ),
        )
        register_source(
            "smes-in-custody",
            indicators.smes_in_custody,
            _("SMEs with a redeemed custody voucher in this system"),
        )
        register_source(
            "supported-service-agencies",
            indicators.supported_service_agencies,
            _("IP service agencies paid for redeemed vouchers in this system"),
        )
