"""Template filters of the words layer (``grants.presenters``), built into every template:
``{{ amount|yuan }}`` → ¥35,000.00, ``{{ day|cdate }}`` → 2026年11月29日,
``{{ code|status_label }}``, ``{{ code|level_label }}``, ``{{ value|choice_label }}``,
``{{ action|audit_sentence }}``."""

from __future__ import annotations

from typing import Any

from django import template

from grants import labels, presenters

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    return presenters.money_text(value)


@register.filter
def yuan_digits(value: Any) -> str:
    return presenters.money_text(value, sign=False)


@register.filter
def cdate(value: Any) -> str:
    return presenters.date_text(value)


@register.filter
def status_label(value: Any) -> str:
    return presenters.status_label(value)


@register.filter
def level_label(value: Any) -> str:
    return presenters.level_label(value)


@register.filter
def choice_label(value: Any) -> str:
    return labels.choice_label(value)


@register.filter
def audit_sentence(value: Any) -> str:
    return presenters.audit_sentence(value)


@register.filter
def code_label(value: Any, namespace: str) -> str:
    return labels.code_label(namespace, value)
