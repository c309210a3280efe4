from django.contrib import admin

from finance.models import Budget, LedgerEntry
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
