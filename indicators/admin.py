from django.contrib import admin

from indicators.models import Indicator, IndicatorActual
from indicators.services import indicator_actual_record


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "unit", "kind", "cumulative", "targets")
    ordering = ("number",)


@admin.register(IndicatorActual)
class IndicatorActualAdmin(admin.ModelAdmin):
    list_display = ("indicator", "year", "value", "source_note", "entered_by", "entered_at")
    list_filter = ("year", "indicator")
    fields = ("indicator", "year", "value", "source_note")

    def save_model(self, request, obj, form, change):
        # Through the service: the figure and its audit row in one transaction.
        saved = indicator_actual_record(
            actor=request.user,
            indicator=obj.indicator,
            year=obj.year,
            value=obj.value,
            source_note=obj.source_note,
        )
        obj.pk = saved.pk
