"""Admin for rule sets: edit a draft, validate it, run its test cases, preview it, activate it.

An activated version is read-only; changes start as a new draft copied from it.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from grants.admin import ReadOnlyAdmin
from grants.errors import DomainError
from rules.models import CertificationBody, Evaluation, RuleSetVersion
from rules.services import ruleset_activate, ruleset_check, ruleset_new_draft, ruleset_preview


class PrettyJSONWidget(forms.Textarea):
    def format_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class RuleSetVersionForm(forms.ModelForm):
    class Meta:
        model = RuleSetVersion
        fields = ["program", "effective_from", "notes", "content", "test_cases"]
        widgets = {
            "content": PrettyJSONWidget(
                attrs={"rows": 30, "cols": 120, "class": "vLargeTextField"}
            ),
            "test_cases": PrettyJSONWidget(
                attrs={"rows": 20, "cols": 120, "class": "vLargeTextField"}
            ),
        }


@admin.register(RuleSetVersion)
class RuleSetVersionAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["css/admin-extra.css"]}

    form = RuleSetVersionForm
    list_display = (
        "program",
        "number",
        "state",
        "effective_from",
        "short_hash",
        "activated_at",
        "check_state",
    )
    list_filter = ("program", "state")
    readonly_fields = (
        "number",
        "state",
        "sha256",
        "activated_at",
        "activated_by",
        "validation_report",
    )
    change_form_template = "admin/rules/rulesetversion/change_form.html"

    @admin.display(description="SHA-256")
    def short_hash(self, obj):
        return obj.sha256[:12] if obj.sha256 else "—"

    @admin.display(description=_("last check"))
    def check_state(self, obj):
        report = obj.last_validation or {}
        if not report:
            return "—"
        return _("passes") if report.get("ok") else _("fails")

    @admin.display(description=_("last validation"))
    def validation_report(self, obj):
        report = obj.last_validation or {}
        if not report:
            return _("Not checked yet: use “Validate and run test cases”.")
        lines = [f"{e['field']}: {e['message']}" for e in report.get("errors", [])]
        tests = report.get("tests") or {}
        if tests.get("error"):
            lines.append(tests["error"])
        for result in tests.get("results", []):
            mark = "✔" if result["passed"] else "✘"
            lines.append(f"{mark} {result['name']} {'; '.join(result['failures'])}")
        return format_html('<pre class="validation-report">{}</pre>', "\n".join(lines) or "OK")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state != RuleSetVersion.State.DRAFT:
            fields += ["program", "effective_from", "notes", "content", "test_cases"]
        elif obj is not None:
            fields += ["program"]
        return fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.state == RuleSetVersion.State.DRAFT

    def save_model(self, request, obj, form, change):
        if not change:
            from django.db.models import Max

            obj.number = (
                RuleSetVersion.objects.filter(program=obj.program).aggregate(n=Max("number"))["n"]
                or 0
            ) + 1
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        report = ruleset_check(obj)
        level = messages.SUCCESS if report["ok"] else messages.WARNING
        self.message_user(
            request,
            _("Saved. Validation: %(e)d error(s); test cases: %(t)s.")
            % {
                "e": len(report["errors"]),
                "t": _("pass") if report["tests"]["passed"] else _("do not pass"),
            },
            level,
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/check/",
                self.admin_site.admin_view(self.check_view),
                name="rules_rulesetversion_check",
            ),
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="rules_rulesetversion_preview",
            ),
            path(
                "<int:pk>/activate/",
                self.admin_site.admin_view(self.activate_view),
                name="rules_rulesetversion_activate",
            ),
            path(
                "<int:pk>/new-draft/",
                self.admin_site.admin_view(self.new_draft_view),
                name="rules_rulesetversion_new_draft",
            ),
        ]
        return own + super().get_urls()

    def _back(self, pk):
        return redirect(reverse("admin:rules_rulesetversion_change", args=[pk]))

    def check_view(self, request, pk):
        version = get_object_or_404(RuleSetVersion, pk=pk)
        report = ruleset_check(version)
        self.message_user(
            request,
            _("The version passes.") if report["ok"] else _("The version does not pass yet."),
            messages.SUCCESS if report["ok"] else messages.ERROR,
        )
        return self._back(pk)

    def preview_view(self, request, pk):
        version = get_object_or_404(RuleSetVersion, pk=pk)
        rows = []
        error = ""
        try:
            rows = ruleset_preview(version=version)
        except DomainError as exc:
            error = exc.detail
        context = {
            **self.admin_site.each_context(request),
            "version": version,
            "rows": rows,
            "error": error,
            "opts": self.model._meta,
            "title": _("Preview on recent applications"),
        }
        return TemplateResponse(request, "admin/rules/rulesetversion/preview.html", context)

    def activate_view(self, request, pk):
        if request.method != "POST":
            return self._back(pk)
        version = get_object_or_404(RuleSetVersion, pk=pk)
        try:
            ruleset_activate(version=version, actor=request.user)
        except DomainError as exc:
            details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors[:10])
            self.message_user(request, f"{exc.detail} {details}", messages.ERROR)
        else:
            self.message_user(
                request,
                _("Activated: new submissions are judged by this version."),
                messages.SUCCESS,
            )
        return self._back(pk)

    def new_draft_view(self, request, pk):
        if request.method != "POST":
            return self._back(pk)
        source = get_object_or_404(RuleSetVersion, pk=pk)
        draft = ruleset_new_draft(program=source.program, actor=request.user, from_version=source)
        self.message_user(
            request, _("New draft created from %(v)s.") % {"v": source.label}, messages.SUCCESS
        )
        return self._back(draft.pk)


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("application", "rule_set_version", "purpose", "award_amount", "created_at")
    list_filter = ("rule_set_version", "purpose")


@admin.register(CertificationBody)
class CertificationBodyAdmin(admin.ModelAdmin):
    """The accredited certification bodies: kept here, offered in the claim form, matched by
    the rules after normalising the typed name (full/half-width, spaces)."""

    list_display = ["name", "accreditation_number", "valid_from", "valid_until", "source"]
    search_fields = ["name", "normalised_name", "accreditation_number"]
    fields = ["name", "accreditation_number", "valid_from", "valid_until", "source"]
