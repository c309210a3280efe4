from django.contrib import admin

from grants.admin import ReadOnlyAdmin
from notices.models import Notice, NoticeEntry, Objection


class NoticeEntryInline(admin.TabularInline):
    model = NoticeEntry
    extra = 0
    can_delete = False
    readonly_fields = ("application", "withdrawn")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("number", "program", "status", "published_at", "ends_at")
    inlines = [NoticeEntryInline]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ("notice", "project", "name", "status", "filed_at", "resolved_at")
    list_filter = ("status",)
