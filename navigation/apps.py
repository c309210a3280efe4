from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NavigationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "navigation"
    verbose_name = _("Patent navigation projects")

    def ready(self) -> None:
        from grants import kinds
        from grants.models import ProgramKind
        from indicators.registry import RecordSet, register_records
        from navigation import indicators, kind, views

        kinds.register(
            ProgramKind.NAVIGATION,
            kind.hooks(
                portal_home=views.portal_home,
                portal_panel=views.portal_panel,
                inbox_block=views.inbox_block,
                home_links=views.navigation_links,
                apply_link=views.apply_link,
            ),
        )
        register_records(
            RecordSet(
                name="navigation.projects-in-implementation",
                records=indicators.projects_in_implementation,
                distinct="pk",
                present=indicators.present_project,
                scope=indicators.scope_projects,
                description=_(
                    "industry patent navigation projects carried out (awarded under contract, or "
                    "accepted), counted in their programme's year"
                ),
                noun=_("projects"),
            )
        )
