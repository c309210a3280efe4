"""Records other apps hold, by name, for indicator sources of type ``records``.

An indicator's source names a record set (``{"type": "records", "records":
"agencies.custody-smes"}``); the app that holds those records registers it from its
``AppConfig.ready()`` (``register_records``), so this app imports none of them. A name no
app registered gives no figure, and the dashboard says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


@dataclass(frozen=True)
class RecordSet:
    """``records(first, last)``: the records dated in years ``first``..``last`` (whole years,
    local time); ``distinct``: the field path what ``count_distinct`` counts (an organisation);
    ``present(record)``: one line of the drill-down, words only (``record``, ``organization``,
    ``unit_key``, ``programme``, ``date``, ``status``, ``amount``, ``url``); ``scope(qs, user)``:
    the records ``user`` may see; ``description``: what is counted and when, in words."""

    name: str
    records: Callable[[int, int], QuerySet]
    distinct: str
    present: Callable[[Any], dict[str, Any]]
    scope: Callable[[QuerySet, Any], QuerySet]
    description: str | StrPromise
    noun: str | StrPromise = ""


RECORDS: dict[str, RecordSet] = {}


def register_records(record_set: RecordSet) -> None:
    RECORDS[record_set.name] = record_set
