"""The admin site. Model admins are generic over their model (django-stubs); config.settings
calls ``django_stubs_ext.monkeypatch()`` so that ``ModelAdmin[Program]`` also works at run time."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from grants.audit import AuditEntry, AuditHead
from grants.calendar import CalendarDay
from grants.models import (
    ApiToken,
    Application,
    Attachment,
    AttachmentKind,
    CostLine,
    CostLineKind,
    Jurisdiction,
    Membership,
    Organization,
    Program,
    ProgramField,
    Role,
    RoleAssignment,
    Sequence,
    User,
)
from grants.notifications import Notification

_M = TypeVar("_M", bound=Model)


class RoleInline(admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["jurisdiction"]


class MembershipInline(admin.TabularInline[Membership, Model]):  # on users and organisations
    model = Membership
    extra = 0
    autocomplete_fields = ["organization", "user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    inlines = [RoleInline, MembershipInline]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Profile"), {"fields": ("display_name", "phone")}),
    )
    list_display = ("username", "display_name", "email", "is_staff", "is_active")
    actions = ["unlock_login", "reset_second_factor"]

    @admin.action(description=_("Unlock login (after too many failed logins)"))
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from grants.services import login_unlock

        assert isinstance(request.user, User)
        for user in queryset:
            login_unlock(actor=request.user, user=user)
        self.message_user(request, _("Login unlocked for %(n)d users.") % {"n": queryset.count()})

    @admin.action(description=_("Reset two-factor login (lost phone): enrol again at next login"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from grants.second_factor import second_factor_reset

        assert isinstance(request.user, User)
        for user in queryset:
            second_factor_reset(actor=request.user, user=user)
        self.message_user(
            request, _("Two-factor login reset for %(n)d users.") % {"n": queryset.count()}
        )

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[User],
        formsets: list[BaseInlineFormSet[Any, User, Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        from grants.reviewers import reviewer_permissions_sync

        reviewer_permissions_sync(form.instance)  # guardian object permissions follow the role rows


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin[Jurisdiction]):
    list_display = ("code", "name", "name_en", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name", "name_en")
    readonly_fields = ("path",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ("name", "uscc", "kind", "district", "is_sme", "created_at")
    list_filter = ("kind", "is_sme", "district")
    search_fields = ("name", "uscc")
    inlines = [MembershipInline]


class ProgramFieldInline(admin.TabularInline[ProgramField, Program]):
    model = ProgramField
    extra = 0


class CostLineKindInline(admin.TabularInline[CostLineKind, Program]):
    model = CostLineKind
    extra = 0


class AttachmentKindInline(admin.TabularInline[AttachmentKind, Program]):
    model = AttachmentKind
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin[Program]):
    list_display = ("code", "name", "kind", "year", "levels", "cap", "opens", "closes", "is_active")
    # The chain is data: editing it here affects submissions from now on; an
    # application in review keeps the chain it was submitted under.
    list_filter = ("kind", "year", "is_active")
    search_fields = ("code", "name")
    inlines = [ProgramFieldInline, CostLineKindInline, AttachmentKindInline]


class CostLineInline(admin.TabularInline[CostLine, Application]):
    model = CostLine
    extra = 0


class AttachmentInline(admin.TabularInline[Attachment, Application]):
    model = Attachment
    extra = 0
    readonly_fields = (
        "kind",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )
    exclude = ("file",)

    def has_add_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin[Application]):
    """Read-mostly: state changes go through the review workflow, which audits them."""

    list_display = (
        "number",
        "program",
        "organization",
        "status",
        "level",
        "award_amount",
        "submitted_at",
    )
    list_filter = ("program", "status", "level")
    search_fields = ("number", "organization__name", "organization__uscc")
    readonly_fields = (
        "number",
        "program",
        "organization",
        "status",
        "level",
        "chain",
        "round",
        "award_amount",
        "submitted_at",
        "created_by",
        "created_at",
        "updated_at",
        "fields",
    )
    inlines = [CostLineInline, AttachmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin[RoleAssignment]):
    list_display = ("user", "role", "level", "jurisdiction")
    list_filter = ("role", "level")
    search_fields = ("user__username",)
    autocomplete_fields = ["user", "jurisdiction"]

    def save_model(
        self,
        request: HttpRequest,
        obj: RoleAssignment,
        form: ModelForm[RoleAssignment],
        change: bool,
    ) -> None:
        from grants.reviewers import reviewer_permissions_sync

        old_user = RoleAssignment.objects.get(pk=obj.pk).user if change else None
        super().save_model(request, obj, form, change)
        for user in {u for u in (obj.user, old_user) if u is not None}:
            reviewer_permissions_sync(user)

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        from grants.reviewers import reviewer_permissions_sync

        super().delete_model(request, obj)
        reviewer_permissions_sync(obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        from grants.reviewers import reviewer_permissions_sync

        users = {role.user for role in queryset.select_related("user")}
        super().delete_queryset(request, queryset)
        for user in users:
            reviewer_permissions_sync(user)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "organization", "role", "created_at")
    search_fields = ("user__username", "organization__name")
    autocomplete_fields = ["user", "organization"]


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    def has_add_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin[AuditEntry]):
    list_display = (
        "id",
        "at",
        "actor_name",
        "role",
        "action",
        "object_type",
        "object_id",
        "from_status",
        "to_status",
    )
    list_filter = ("action", "role", "object_type")
    search_fields = ("actor_name", "object_id", "comment")
    date_hierarchy = "at"


@admin.register(AuditHead)
class AuditHeadAdmin(ReadOnlyAdmin[AuditHead]):
    list_display = ("id", "entries", "last_hash")


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdmin[Sequence]):
    list_display = ("key", "last")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ("user", "created_at", "expires_at", "last_used_at")
    readonly_fields = ("user", "key_hash", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin[Notification]):
    list_display = ("created_at", "user", "kind", "application", "subject", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "subject")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    """The region's holidays and made-up working days (肉孜节, 古尔邦节), each change audited."""

    list_display = ("day", "name", "kind", "basis", "updated_by", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name", "basis")
    date_hierarchy = "day"
    fields = ("day", "kind", "name", "basis")

    def save_model(
        self, request: HttpRequest, obj: CalendarDay, form: ModelForm[CalendarDay], change: bool
    ) -> None:
        obj.updated_by = _staff(request)
        super().save_model(request, obj, form, change)
        _calendar_audit(request, obj, "calendar.changed" if change else "calendar.added")

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        _calendar_audit(request, obj, "calendar.removed")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for obj in queryset:
            _calendar_audit(request, obj, "calendar.removed")
        super().delete_queryset(request, queryset)


def _calendar_audit(request: HttpRequest, obj: CalendarDay, action: str) -> None:
    from grants.audit import audit_record

    audit_record(
        actor=_staff(request),
        action=action,
        obj=obj,
        role=Role.ADMIN,
        data={"day": obj.day.isoformat(), "kind": obj.kind, "name": obj.name, "basis": obj.basis},
    )


def _staff(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None
