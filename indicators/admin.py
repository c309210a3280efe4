from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from grants.errors import InvalidInput
from indicators.models import Indicator, IndicatorActual, IndicatorVersion
from indicators.services import (
    DEFINITION_FIELDS,
    definition_errors,
    indicator_actual_record,
    indicator_definition_update,
)


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = list(DEFINITION_FIELDS)

    def clean(self):
        data = super().clean() or {}
        errors = definition_errors(
            data.get("targets", self.instance.targets), data.get("source", self.instance.source)
        )
        if errors:
            raise ValidationError([f"{e['field']}: {e['message']}" for e in errors])
        return data


class IndicatorVersionInline(admin.TabularInline):
    model = IndicatorVersion
    extra = 0
    can_delete = False
    fields = ("version", "changed_by", "changed_at", "definition")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    form = IndicatorForm
    list_display = ("number", "name", "unit", "requirement", "target_text", "kind", "version")
    ordering = ("number",)
    readonly_fields = ("number", "code", "version")
    fields = ("number", "code", "version", *DEFINITION_FIELDS)
    inlines = [IndicatorVersionInline]

    def has_add_permission(self, request):
        return False  # the twelve of the plan; seeded from indicators/data/indicators.json

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service: a new version and its audit entry in one transaction.
        changes = {k: form.cleaned_data[k] for k in DEFINITION_FIELDS if k in form.cleaned_data}
        try:
            saved = indicator_definition_update(actor=request.user, indicator=obj, changes=changes)
        except InvalidInput as exc:  # checked by the form already; a race at most
            raise ValidationError(str(exc)) from exc
        obj.version = saved.version


@admin.register(IndicatorActual)
class IndicatorActualAdmin(admin.ModelAdmin):
    list_display = (
        "indicator",
        "year",
        "measure",
        "value",
        "source_note",
        "entered_by",
        "entered_at",
    )
    list_filter = ("year", "indicator")
    fields = ("indicator", "year", "measure", "value", "source_note")

    def save_model(self, request, obj, form, change):
        # Through the service: the figure and its audit row in one transaction.
        saved = indicator_actual_record(
            actor=request.user,
            indicator=obj.indicator,
            year=obj.year,
            value=obj.value,
            source_note=obj.source_note,
            measure=obj.measure,
        )
        obj.pk = saved.pk
