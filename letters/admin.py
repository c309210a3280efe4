from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from grants.errors import DomainError
from grants.selectors import program_is_live as programs_locked
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

    def has_change_permission(self, request, obj=None):
        if obj is not None and programs_locked(obj.program):
            return False  # part of the definition: a draft a second administrator approves
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class LetterTemplateForm(forms.ModelForm):
    """Saving publishes a new version through ``template_publish``: the sandbox's problems
    (each naming its line) are shown at the template, the input kept."""

    request_user: Any = None  # set per request by LetterTemplateAdmin.get_form
    published: LetterTemplate | None = None

    class Meta:
        model = LetterTemplate
        fields = ("program", "kind", "note", "body")

    def clean(self):
        data = super().clean() or {}
        program = data.get("program") or getattr(self.instance, "program", None)
        if program is not None and programs_locked(program):
            raise forms.ValidationError(
                _(
                    "This programme has received applications: its letters change through a "
                    "definition draft that a second administrator approves."
                )
            )
        if self.errors:
            return data
        try:
            self.published = services.template_publish(
                actor=self.request_user,
                kind=data.get("kind", ""),
                body=data.get("body", ""),
                note=data.get("note", ""),
                program=program,
            )
        except DomainError as exc:
            for error in exc.errors or [{"field": "body", "message": exc.detail}]:
                field = error.get("field") if error.get("field") in self.fields else None
                self.add_error(field, error["message"])
        return data


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    """Saving never edits a version: it publishes a new one (issued letters keep theirs)."""

    list_display = ("kind", "program", "version", "note", "created_by", "created_at")
    list_filter = ("kind", "program")
    readonly_fields = ("version", "created_by", "created_at")
    fields = ("program", "kind", "version", "note", "body", "created_by", "created_at")
    form = LetterTemplateForm

    def get_readonly_fields(self, request, obj=None):
        # a programme's template stays that programme's: a new version, never another's
        return (*self.readonly_fields, "program") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        published = form.published
        obj.pk = published.pk
        obj.version = published.version

    def get_form(self, request, obj=None, change=False, **kwargs):
        form: Any = super().get_form(request, obj, change, **kwargs)
        return type("LetterTemplateFormFor", (form,), {"request_user": request.user})

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
