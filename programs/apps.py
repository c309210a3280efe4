from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "programs"
    verbose_name = _("Programme definitions")

    def ready(self) -> None:
        from grants import kinds
        from programs import steps

        # a programme of any kind that switches steps on by configuration runs them here
        kinds.register_steps(steps.overlay, steps.USER_HOOKS)
