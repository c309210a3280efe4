"""Filters for letter templates: dates in Chinese form (2026年3月1日, no padding)."""

from django import template

from letters.services import chinese_date

register = template.Library()


@register.filter
def cn_date(value) -> str:
    """``2026-03-01`` (or a date) → ``2026年3月1日``; anything else unchanged."""
    if not value:
        return ""
    return chinese_date(value)


@register.filter
def sentence(value) -> str:
    """A reviewer's reason as a sentence: ends with 。 unless it ends with its own stop."""
    text = str(value or "").strip()
    if text and text[-1] not in "。！？.!?；;":
        text += "。"
    return text
