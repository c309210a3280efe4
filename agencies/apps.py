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
        from indicators.registry import RecordSet, register_records

        register_labels("service", Service.choices)  # a claim's service field shows its name
        kinds.register(
            ProgramKind.VOUCHER,
            kind.hooks(
                portal_home=views.portal_home,
                portal_panel=views.portal_panel,
                apply_link=views.apply_link,
            ),
        )
        register_records(
            RecordSet(
                name="agencies.custody-smes",
                records=indicators.custody_redemptions,
                distinct="voucher__sme_id",
                present=indicators.present_redemption,
                scope=indicators.scope_redemptions,
                description=_(
                    "SMEs whose voucher was redeemed for a service of the custody (托管) bundle "
                    "(IP custody, patent filing, patent navigation, early warning), by contract date"
                ),
                noun=_("redeemed vouchers"),
            )
        )
        register_records(
            RecordSet(
                name="agencies.admitted-agencies",
                records=indicators.admitted_agencies,
                distinct="pk",
                present=indicators.present_agency,
                scope=indicators.scope_agencies,
                description=_(
                    "IP service agencies admitted to the service cluster (入驻), by admission date"
                ),
                noun=_("agencies"),
            )
        )
