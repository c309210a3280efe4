from django.contrib import admin

from experts.models import Expert, ExpertConflict, ExpertDraw, ExpertReview
from grants.admin import ReadOnlyAdmin


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


@admin.register(ExpertDraw)
class ExpertDrawAdmin(ReadOnlyAdmin):
    list_display = ("project", "seed", "wanted", "drawn", "skipped", "created_at")


@admin.register(ExpertReview)
class ExpertReviewAdmin(ReadOnlyAdmin):
    list_display = ("project", "expert", "status", "total", "submitted_at")
    list_filter = ("status",)
