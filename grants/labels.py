"""The labels apps register for their own codes (a voucher's services, a budget's sources).

Kept apart from ``grants.presenters`` so that the rule engine, which prints a coded fact's
label in a reason, can read them without importing the presenters (which import rules).
"""

from __future__ import annotations

from typing import Any

_labels: dict[str, dict[str, Any]] = {}


def register_labels(namespace: str, choices: Any) -> None:
    """Labels of an app's codes (``TextChoices.choices``, or pairs): ``code_label(namespace, code)``
    and, for a form field whose choices are such codes, ``choice_label``."""
    _labels.setdefault(namespace, {}).update({str(code): label for code, label in choices})


def code_label(namespace: str, code: Any) -> str:
    """The registered label of ``code`` (the code itself when none is known)."""
    if code in (None, ""):
        return ""
    label = _labels.get(namespace, {}).get(str(code))
    return str(label) if label is not None else str(code)


def choice_label(value: Any) -> str:
    """A form field's choice as shown: the label of a registered code (a voucher's
    ``patent_filing`` → 专利申请), else the value itself (``GB/T 29490`` is its own name)."""
    text = "" if value is None else str(value)
    for namespace in ("choice", "service"):
        label = _labels.get(namespace, {}).get(text)
        if label is not None:
            return str(label)
    return text
