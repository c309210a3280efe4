from django.contrib import admin

from finance.models import Budget, LedgerEntry, Tranche
from grants.admin import ReadOnlyAdmin


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    """Totals are derived from the ledger; money moves only through finance actions."""

    list_display = ("program", "year", "allocated", "committed", "paid", "available")
    list_filter = ("year", "program")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "budget",
        "kind",
        "amount",
        "source",
        "application",
        "actor",
        "reason",
    )
    list_filter = ("kind", "source", "budget__program")


@admin.register(Tranche)
class TrancheAdmin(ReadOnlyAdmin):
    """Parts of awards paid on conditions; planned by the programme's own actions, never edited."""

    list_display = ("application", "position", "label", "amount", "status")
    list_filter = ("status",)
