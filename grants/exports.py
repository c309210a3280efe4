"""Spreadsheets and CSV files that people open: what they hold is text, never a formula.

A name typed as ``=HYPERLINK("http://…"&B2,…)`` must reach the finance officer's
spreadsheet as those characters, not as a live formula; a control character someone
slipped into a name must not make an export fail. So every export writes its cells
through these helpers:

- ``sheet_text``: characters a sheet cannot hold (control characters, unpaired
  surrogates, U+FFFE/U+FFFF) become U+FFFD, visibly;
- ``append_row`` (xlsx): strings are written as string cells (``data_type "s"``), so
  ``=…``, ``+…``, ``-…``, ``@…`` stay text and open as text;
- ``csv_row`` (CSV has no cell types): a text starting with ``= + - @`` or a tab or
  carriage return gets a leading apostrophe, the usual guard against CSV injection.

Numbers, dates and money stay numbers; only text is neutralised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_text(value: str) -> str:
    return UNHOLDABLE.sub("\ufffd", value)


def append_row(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append`` whose text cells are text: never a formula, never an illegal character."""
    row = [sheet_text(v) if isinstance(v, str) else v for v in values]
    ws.append(row)
    for cell, value in zip(ws[ws.max_row], row, strict=False):
        if isinstance(value, str):
            cell.value = value
            cell.data_type = "s"


def csv_cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = sheet_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]
