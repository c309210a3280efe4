"""Admin for the registry and vouchers. Status, penalties and vouchers change only through
``agencies.services`` (audited), so those admins are read-only; qualifications and voucher terms
are configuration."""

from django.contrib import admin

from agencies.models import (
    Agency,
    AgencyStatusChange,
    Penalty,
    Qualification,
    Redemption,
    Voucher,
    VoucherTerms,
)
from grants.admin import ReadOnlyAdmin


class StatusChangeInline(admin.TabularInline):
    model = AgencyStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "effective_on", "reason", "actor", "at")

    def has_add_permission(self, request, obj=None):
        return False


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0
    fields = ("name", "number", "issued_on", "expires_on", "warned_on", "lapsed")
    readonly_fields = ("warned_on", "lapsed")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("organization", "status", "admitted_on", "services")
    list_filter = ("status",)
    search_fields = ("organization__name", "organization__uscc")
    readonly_fields = ("organization", "status", "admitted_on", "created_at")
    fields = ("organization", "status", "admitted_on", "services", "created_at")
    inlines = [QualificationInline, StatusChangeInline]

    def has_add_permission(self, request):
        return False  # admitted through agency_admit (API or /agencies/), which writes the history


@admin.register(AgencyStatusChange)
class AgencyStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("agency", "from_status", "to_status", "effective_on", "reason", "actor", "at")
    list_filter = ("to_status",)


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("agency", "name", "number", "expires_on", "warned_on", "lapsed")
    list_filter = ("lapsed",)
    readonly_fields = ("warned_on", "lapsed")


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    list_display = ("agency", "decided_on", "authority", "document_number", "reason", "recorded_by")


@admin.register(VoucherTerms)
class VoucherTermsAdmin(admin.ModelAdmin):
    list_display = ("program", "validity_days", "annual_quota", "eligible_services")


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ("number", "sme", "program", "face_value", "valid_until", "status", "issued_at")
    list_filter = ("status", "program")
    search_fields = ("number", "sme__name", "sme__uscc")
    exclude = ("code",)  # the secret stays with the SME (and its QR code)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = (
        "voucher",
        "agency",
        "service",
        "contract_number",
        "contract_date",
        "contract_price",
        "claim",
        "held",
    )
    list_filter = ("service", "held")
