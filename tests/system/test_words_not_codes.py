"""Nothing but words reaches a person (../shared/guides/DOCUMENTS.md): every zh-Hans page and
export of every role, rendered with demo data, shows no code the project defines as a whole
token — programme codes, field names, cost and attachment kinds, status and level values, rule
ids, audit actions, staff user names (``tests.support.tour.project_codes``: built from the
models and the seed, not typed here). Exports may carry a code only in a column marked as code
(its header ends in 代码) standing beside its label; their links are absolute."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.support.clients import web
from tests.support.letters import pdf_text
from tests.support.tour import ANONYMOUS, build_tour, project_codes

TOKEN = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.:/-]*[A-Za-z0-9_])?")
HIDDEN = {"script", "style", "template", "noscript", "title"}


class VisibleText(HTMLParser):
    """The text a person reads: element text outside script/style, and the button, option and
    label words (attributes are not read, except ``placeholder``, ``title`` and ``aria-label``)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self._hidden += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def leaked(text: str, codes: set[str]) -> set[str]:
    return {t for t in TOKEN.findall(text) if t in codes}


@pytest.fixture
def tour(demo, django_capture_on_commit_callbacks, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    return build_tour(django_capture_on_commit_callbacks)


def test_every_page_of_every_role_shows_words_not_codes(tour):
    codes = project_codes()
    assert {"cert-subsidy", "certificate_number", "consulting_fee", "in_review"} <= codes
    assert {"district_in_city", "application.create", "reviewer-tianshan"} <= codes
    failures = []
    for username, urls in tour.pages.items():
        client = Client() if username == ANONYMOUS else web(username)
        client.cookies["django_language"] = "zh-hans"
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code != 200:
                failures.append(f"{username} {url}: HTTP {response.status_code}")
                continue
            found = leaked(visible_text(response.content.decode()), codes)
            if found:
                failures.append(f"{username} {url}: {sorted(found)}")
    assert not failures, "codes shown to people:\n" + "\n".join(failures)


CODE_HEADER = re.compile(r"(代码|编码|code)\s*$", re.I)
RELATIVE_LINK = re.compile(r"^/(?:api|portal|applications|letters|verify|finance|vouchers)/")


def test_exports_carry_labels_with_a_code_column_only_beside_its_label(tour):
    codes = project_codes()
    failures = []
    for username, url in tour.exports:
        client = web(username)
        client.cookies["django_language"] = "zh-hans"
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, (url, response.status_code)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if url.endswith(("/letter", ".csv")):
            text = pdf_text(content) if url.endswith("/letter") else content.decode("utf-8-sig")
            if found := leaked(text, codes):
                failures.append(f"{url}: {sorted(found)}")
            continue
        book = load_workbook(io.BytesIO(content), read_only=True)
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            if not rows:
                continue
            header = [str(h or "") for h in rows[0]]
            code_columns = {i for i, h in enumerate(header) if CODE_HEADER.search(h)}
            for i in code_columns:
                if i == 0 or not header[i - 1]:
                    failures.append(
                        f"{url} {sheet.title}: code column “{header[i]}” has no label beside it"
                    )
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value is None or (r > 0 and c in code_columns):
                        continue
                    text = str(value)
                    found = leaked(text, codes)
                    if found:
                        failures.append(f"{url} {sheet.title}!{r + 1}:{c + 1}: {sorted(found)}")
                    if RELATIVE_LINK.match(text):
                        failures.append(
                            f"{url} {sheet.title}!{r + 1}:{c + 1}: relative link {text}"
                        )
    assert not failures, "exports:\n" + "\n".join(failures[:80])
