from django.contrib import admin

from grants.admin import ReadOnlyAdmin
from navigation.models import (
    Contract,
    Expert,
    ExpertConflict,
    ExpertDraw,
    ExpertReview,
    Milestone,
    NavigationConfig,
    NavigationProject,
    Notice,
    Objection,
    Partner,
)


@admin.register(NavigationConfig)
class NavigationConfigAdmin(admin.ModelAdmin):
    """Experts per application, weighted criteria, notice length, target, milestones and shares."""

    list_display = (
        "program",
        "experts_per_application",
        "notice_working_days",
        "target_count",
    )


class ExpertConflictInline(admin.TabularInline):
    model = ExpertConflict
    extra = 0


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    """The expert pool. The user also needs the expert role (Role assignments)."""

    list_display = ("name", "user", "employer", "industries", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "user__username")
    raw_id_fields = ("user", "employer")
    inlines = [ExpertConflictInline]


@admin.register(ExpertConflict)
class ExpertConflictAdmin(admin.ModelAdmin):
    list_display = ("expert", "organization", "reason", "declared_at")
    raw_id_fields = ("organization",)


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


@admin.register(ExpertDraw)
class ExpertDrawAdmin(ReadOnlyAdmin):
    list_display = ("project", "seed", "wanted", "drawn", "skipped", "created_at")


@admin.register(ExpertReview)
class ExpertReviewAdmin(ReadOnlyAdmin):
    list_display = ("project", "expert", "status", "total", "submitted_at")
    list_filter = ("status",)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("number", "program", "status", "published_at", "ends_at")


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ("notice", "project", "name", "status", "filed_at", "resolved_at")
    list_filter = ("status",)


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ("number", "project", "amount", "starts_on")


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ("contract", "position", "label", "due_on", "share", "status", "escalated_at")
    list_filter = ("status",)
