from django.contrib import admin

from grants.admin import ReadOnlyAdmin
from milestones.models import Contract, Milestone


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ("number", "project", "amount", "starts_on")


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ("contract", "position", "label", "due_on", "share", "status", "escalated_at")
    list_filter = ("status",)
