from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from grants.errors import DomainError
from letters import services
from letters.models import (
    IssuingAuthority,
    Letter,
    LetterTemplate,
    ProgramLetterSettings,
    ReissueBatch,
)


@admin.register(IssuingAuthority)
class IssuingAuthorityAdmin(admin.ModelAdmin):
    """发文机关: who issues a level's letters. The districts' 代字 start as placeholders."""

    list_display = ("jurisdiction", "name", "code_prefix", "reconsideration_body", "has_seal")
    search_fields = ("name", "code_prefix", "jurisdiction__name")
    readonly_fields = ("jurisdiction", "updated_at")

    def has_add_permission(self, request):
        return False  # one per jurisdiction, made for each

    @admin.display(boolean=True, description=_("seal image"))
    def has_seal(self, obj):
        return bool(obj.seal)

    def changelist_view(self, request, extra_context=None):
        services.authorities_ensure()  # every jurisdiction listed, before its first letter
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False  # letters keep pointing at the authority that issued them


@admin.register(ProgramLetterSettings)
class ProgramLetterSettingsAdmin(admin.ModelAdmin):
    list_display = ("program", "regulation", "issuer_level", "reconsideration_body", "copy_to")
    readonly_fields = ("program",)

    def changelist_view(self, request, extra_context=None):
        from grants.models import Program

        for program in Program.objects.filter(letter_settings__isnull=True):
            services.letter_settings(program)
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False  # one per programme, made for each

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    """Saving never edits a version: it publishes a new one (issued letters keep theirs)."""

    list_display = ("kind", "version", "note", "created_by", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("version", "created_by", "created_at")
    fields = ("kind", "version", "note", "body", "created_by", "created_at")

    def save_model(self, request, obj, form, change):
        try:
            published = services.template_publish(
                actor=request.user, kind=obj.kind, body=obj.body, note=obj.note
            )
        except DomainError as exc:
            messages.error(request, "; ".join(e["message"] for e in exc.errors) or exc.detail)
            return
        obj.pk = published.pk
        obj.version = published.version

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description=_("Revoke the selected letters"))
def revoke(modeladmin, request, queryset):
    for letter in queryset:
        try:
            services.letter_revoke(
                actor=request.user, letter=letter, reason=str(_("Revoked by an administrator"))
            )
        except DomainError as exc:
            messages.warning(request, f"{letter}: {exc.detail}")


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "version",
        "kind",
        "status",
        "organization_name",
        "amount",
        "issued_at",
        "issuer_name",
        "size",
        "render_ms",
    )
    list_filter = ("status", "kind", "application__program")
    search_fields = ("number", "organization_name", "organization_uscc", "application__number")
    actions = [revoke]
    readonly_fields = [f.name for f in Letter._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReissueBatch)
class ReissueBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "reason", "program", "kind", "progress", "created_by", "created_at")
    readonly_fields = ("reason", "program", "kind", "total", "created_by", "created_at")

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return format_html(
            '<progress max="{}" value="{}"></progress> {} / {}',
            obj.total,
            obj.done,
            obj.done,
            obj.total,
        )

    def has_add_permission(self, request):
        return False  # batches start from /letters/reissue/ or manage.py letters_reissue
