"""The complete definition the README gives as its example is one an administrator can import
as it is, and export gives it back."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.clients import login
from tests.support.personas import ADMIN

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readmes_complete_definition_imports_as_it_is(demo):
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- program-example -->\n```json\n(.*?)\n```", text, re.S)
    assert block, "README: the example definition after <!-- program-example -->"
    document = json.loads(block[1])
    admin = login(ADMIN)
    created = admin.post("/programs", document)
    assert created.status_code == 201, created.content
    assert admin.get(f"/programs/{document['code']}/definition").json() == document
