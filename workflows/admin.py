from django.contrib import admin

from grants.admin import ReadOnlyAdmin
from workflows.models import ReviewProcess


@admin.register(ReviewProcess)
class ReviewProcessAdmin(ReadOnlyAdmin[ReviewProcess]):
    """Processes change only through decisions; the admin shows them."""

    list_display = ("id", "application", "round", "chain", "status", "created", "finished")
    list_filter = ("status",)
    search_fields = ("application__number",)
