"""Export → import → export gives the same document, for every seeded programme."""

from __future__ import annotations

import copy

import pytest

from grants.models import Program
from tests.support.clients import login
from tests.support.personas import ADMIN


def seeded_codes() -> list[str]:
    from demo.seed import PROGRAMS, data_programs

    return [spec["code"] for spec in PROGRAMS] + [doc["code"] for doc in data_programs(2026)]


@pytest.mark.parametrize("code", seeded_codes())
def test_export_import_export_gives_the_same_document(demo, code):
    admin = login(ADMIN)
    exported = admin.get(f"/programs/{code}/definition")
    assert exported.status_code == 200, exported.content
    document = exported.json()
    assert document["schema"] == "fundflow.program/1"
    moved = copy.deepcopy(document)
    moved["code"] = f"{code}-copy"
    created = admin.post("/programs", moved)
    assert created.status_code == 201, created.content
    again = admin.get(f"/programs/{code}-copy/definition").json()
    assert again == moved == created.json()
    assert Program.objects.get(code=f"{code}-copy").kind == document["kind"]
