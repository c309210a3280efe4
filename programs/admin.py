"""Programmes as definitions in the admin: the whole programme on one read-only screen, its
definition exported as a file, a definition imported (a new programme, or a change of one:
applied at once before its first application, a draft for a second administrator after),
next year's programme cloned, and drafts approved or rejected after reading their diff.

The domain (``programs.definition``, ``programs.versions``) decides who may do what; these
pages only collect the input and show the answer, each problem at its JSON path.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from grants.admin import ProgramAdmin
from grants.errors import DomainError
from grants.models import Program
from grants.selectors import program_is_live
from programs import definition, versions
from programs.models import ProgramVersion


def _problems(exc: DomainError) -> list[str]:
    return [f"{e.get('field', '')}: {e.get('message', '')}" for e in exc.errors] or [exc.detail]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Definition file (JSON)"), required=False)
    text = forms.CharField(
        label=_("or the definition pasted here"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 100, "style": "font-family:monospace"}),
    )
    note = forms.CharField(label=_("What changes and why"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        raw = upload.read().decode("utf-8", "replace") if upload else data.get("text", "")
        if not raw.strip():
            raise forms.ValidationError(_("Choose a file or paste a definition."))
        try:
            data["document"] = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(_("This is not JSON: %(e)s") % {"e": exc}) from exc
        return data


class CloneForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40)
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    opens = forms.CharField(label=_("opens (date and time with its offset)"))
    closes = forms.CharField(label=_("closes (date and time with its offset)"))


admin.site.unregister(Program)


@admin.register(Program)
class ProgramDefinitionAdmin(ProgramAdmin):
    """The programme admin of ``grants``, with its definition. A programme that has received
    its first application is read-only here: it changes by importing a changed definition,
    a draft that a second administrator approves."""

    list_display = (*ProgramAdmin.list_display, "definition_links")  # type: ignore[assignment]
    change_list_template = "admin/programs/program/change_list.html"

    @admin.display(description=_("definition"))
    def definition_links(self, obj: Program) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:programs_program_overview", args=[obj.pk]),
            _("overview"),
            reverse("admin:programs_program_export", args=[obj.pk]),
            _("export"),
            reverse("admin:programs_program_clone", args=[obj.pk]),
            _("clone"),
        )

    def has_change_permission(self, request: HttpRequest, obj: Program | None = None) -> bool:
        if obj is not None and program_is_live(obj):
            return False  # maker–checker: through a definition draft
        return super().has_change_permission(request, obj)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        own = [
            path("import/", view(self.import_view), name="programs_program_import"),
            path("<int:pk>/overview/", view(self.overview_view), name="programs_program_overview"),
            path("<int:pk>/export/", view(self.export_view), name="programs_program_export"),
            path("<int:pk>/clone/", view(self.clone_view), name="programs_program_clone"),
        ]
        return own + super().get_urls()

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def overview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        program = get_object_or_404(Program, pk=pk)
        document = definition.definition_export(program)
        context = self._context(
            request,
            title=_("%(name)s: the whole programme") % {"name": program.name},
            program=program,
            doc=document,
            live=program_is_live(program),
            versions=ProgramVersion.objects.filter(program=program).order_by("-number"),
            rule_set_json=json.dumps(document["rule_set"], ensure_ascii=False, indent=2),
            steps_json=json.dumps(document["steps"], ensure_ascii=False, indent=2),
            ranking_json=json.dumps(document["ranking"], ensure_ascii=False, indent=2),
            indicators_json=json.dumps(document["indicators"], ensure_ascii=False, indent=2),
        )
        return TemplateResponse(request, "admin/programs/program/overview.html", context)

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        program = get_object_or_404(Program, pk=pk)
        body = json.dumps(definition.definition_export(program), ensure_ascii=False, indent=2)
        response = HttpResponse(body + "\n", content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{program.code}.json"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            document, note = form.cleaned_data["document"], form.cleaned_data["note"]
            code = document.get("code") if isinstance(document, dict) else None
            existing = Program.objects.filter(code=code).first() if isinstance(code, str) else None
            try:
                if existing is None:
                    program = versions.program_create(
                        actor=request.user, document=document, note=note
                    )
                    self.message_user(request, _("Programme created."), messages.SUCCESS)
                    return redirect("admin:programs_program_overview", program.pk)
                version = versions.draft_propose(
                    actor=request.user, program=existing, document=document, note=note
                )
            except DomainError as exc:
                problems = _problems(exc)
            else:
                if version.state == ProgramVersion.State.DRAFT:
                    self.message_user(
                        request,
                        _("Draft %(n)d saved: a second administrator approves it.")
                        % {"n": version.number},
                        messages.WARNING,
                    )
                    return redirect("admin:programs_programversion_change", version.pk)
                self.message_user(request, _("Definition applied."), messages.SUCCESS)
                return redirect("admin:programs_program_overview", existing.pk)
        context = self._context(
            request, title=_("Import a programme definition"), form=form, problems=problems
        )
        return TemplateResponse(request, "admin/programs/program/form.html", context)

    def clone_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        source = get_object_or_404(Program, pk=pk)
        initial = {"code": f"{source.code}-{source.year + 1}", "year": source.year + 1}
        form = CloneForm(request.POST or None, initial=initial)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                program = versions.program_clone(
                    actor=request.user, program=source, **form.cleaned_data
                )
            except DomainError as exc:
                problems = _problems(exc)
            else:
                self.message_user(request, _("Cloned: budgets are not copied."), messages.SUCCESS)
                return redirect("admin:programs_program_overview", program.pk)
        context = self._context(
            request,
            title=_("Clone %(name)s for another year") % {"name": source.name},
            form=form,
            problems=problems,
        )
        return TemplateResponse(request, "admin/programs/program/form.html", context)


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("reason (to reject)"), max_length=300, required=False)


@admin.register(ProgramVersion)
class ProgramVersionAdmin(admin.ModelAdmin[ProgramVersion]):
    """Versions of definitions. A draft's page shows its diff against the version in force,
    with approve and reject for a second administrator."""

    list_display = ("program", "number", "state", "note", "created_by", "created_at", "decided_by")
    list_filter = ("state", "program")
    change_form_template = "admin/programs/programversion/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a version comes from a definition: import one

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        version = get_object_or_404(ProgramVersion, pk=object_id)
        if request.method == "POST" and version.state == ProgramVersion.State.DRAFT:
            form = DecisionForm(request.POST)
            form.is_valid()
            try:
                if "approve" in request.POST:
                    versions.draft_approve(actor=request.user, version=version)
                    self.message_user(request, _("Approved: now in force."), messages.SUCCESS)
                else:
                    versions.draft_reject(
                        actor=request.user,
                        version=version,
                        reason=form.cleaned_data.get("reason", ""),
                    )
                    self.message_user(request, _("Rejected."), messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, "; ".join(_problems(exc)), messages.ERROR)
            return redirect("admin:programs_programversion_change", version.pk)
        extra = {
            **(extra_context or {}),
            "version": version,
            "diff": versions.draft_diff(version)
            if version.state == ProgramVersion.State.DRAFT
            else None,
            "decision_form": DecisionForm(),
            "can_decide": version.state == ProgramVersion.State.DRAFT
            and version.created_by_id != request.user.pk,
        }
        return super().change_view(request, object_id, form_url, extra)
