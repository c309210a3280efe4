from django.contrib import admin

from grants.admin import ReadOnlyAdmin
from rules.models import Evaluation


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("application", "rule_set_version", "purpose", "award_amount", "created_at")
    list_filter = ("rule_set_version", "purpose")
