from django.contrib import admin

from grants.admin import ReadOnlyAdmin
from navigation.models import NavigationConfig, NavigationProject, Partner


@admin.register(NavigationConfig)
class NavigationConfigAdmin(admin.ModelAdmin):
    """Experts per application, weighted criteria, notice length, target, milestones and shares."""

    list_display = (
        "program",
        "experts_per_application",
        "notice_working_days",
        "target_count",
    )


class PartnerInline(admin.TabularInline):
    model = Partner
    extra = 0
    can_delete = False
    readonly_fields = ("organization", "confirmed_at", "confirmed_by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(NavigationProject)
class NavigationProjectAdmin(ReadOnlyAdmin):
    """Projects change only through their actions (API and pages), each audited."""

    list_display = ("application", "industry", "stage", "score", "notice", "accepted_at")
    list_filter = ("stage", "industry")
    inlines = [PartnerInline]


@admin.register(Partner)
class PartnerAdmin(ReadOnlyAdmin):
    list_display = ("project", "organization", "confirmed_at")
