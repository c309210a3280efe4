"""Input at the boundary: what no request may carry into the system, refused before any view.

Every text a request brings (path, query parameters, JSON bodies, form fields, file names)
is checked once here for characters that no person types and that break a database, a
spreadsheet or a PDF: NUL and the other C0/C1 control characters (tab, line feed and
carriage return are allowed), unpaired UTF-16 surrogates, and the non-characters U+FFFE
and U+FFFF. The API answers 422 problem+json naming the field (``fields.name``,
``cost_lines[1].reference``, a query parameter by its name), 404 for a path segment, 400
for a body that is not UTF-8 JSON, and 413 for a JSON body larger than
``DATA_UPLOAD_MAX_MEMORY_SIZE``. Pages answer 400 with the reason in words.

Nothing is rewritten: a request is taken as it came or refused, so what is stored is
what the person typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

from config.apikit import problem

# C0 controls but tab, LF, CR; DEL and C1 controls; unpaired surrogates; U+FFFE/U+FFFF.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def bad_text(value: str) -> bool:
    return FORBIDDEN.search(value) is not None


def _json_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def bad_json_strings(value: Any, path: str = "") -> Iterator[str]:
    """The path of every string (key or value) in a parsed JSON document that holds a
    forbidden character."""
    if isinstance(value, str):
        if bad_text(value):
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            where = _json_path(path, str(key))
            if bad_text(str(key)):
                yield where
            yield from bad_json_strings(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from bad_json_strings(item, _json_path(path, index))


def _bad_fields(data: QueryDict) -> list[str]:
    return [
        key for key, values in data.lists() if bad_text(key) or any(bad_text(v) for v in values)
    ]


def _message() -> str:
    return _(
        "This text contains a character that cannot be stored (a control character, NUL or "
        "an unpaired surrogate); type it again without it."
    )


class InputGuardMiddleware:
    """Refuse forbidden characters and oversized JSON before a view or the ORM sees them."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        refused = self._check(request, api)
        if refused is not None:
            return refused
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, api: bool, fields: list[str]) -> HttpResponse:
        errors = [{"field": field, "message": _message()} for field in fields]
        if api:
            return problem(
                422,
                "invalid-input",
                _("The input is not valid"),
                _("Please correct the fields listed in errors."),
                errors=errors,
            )
        return render(request, "400.html", {"message": _message()}, status=400)

    def _check(self, request: HttpRequest, api: bool) -> HttpResponse | None:
        if bad_text(request.path):
            if api:
                return problem(404, "not-found", _("Not found"), _("No such API resource."))
            return render(request, "404.html", status=404)
        fields = _bad_fields(request.GET)
        if fields:
            return self._refuse(request, api, fields)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.content_type or ""
        if content_type == "application/json":
            return self._check_json(request, api)
        if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            try:
                fields = _bad_fields(request.POST)
                fields += [
                    name
                    for name, files in request.FILES.lists()
                    if any(bad_text(f.name or "") for f in files)
                ]
            except RequestDataTooBig:
                return self._too_large(request, api)
            except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent, ValueError):
                # a body that is not the form it says it is
                if api:
                    return problem(
                        400, "malformed", _("Malformed request"), _("The form body cannot be read.")
                    )
                return render(
                    request, "400.html", {"message": _("The form body cannot be read.")}, status=400
                )
            if fields:
                return self._refuse(request, api, fields)
        return None

    def _too_large(self, request: HttpRequest, api: bool) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        detail = _("The request body is larger than %(max).1f MB.") % {"max": limit / 1_048_576}
        if api:
            return problem(413, "too-large", _("The request is too large"), detail)
        return render(request, "400.html", {"message": detail}, status=413)

    def _check_json(self, request: HttpRequest, api: bool) -> HttpResponse | None:
        try:
            raw = request.body
        except RequestDataTooBig:
            return self._too_large(request, api)
        if not raw:
            return None
        try:
            document = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return problem(
                400, "malformed", _("Malformed request"), _("The body is not UTF-8 JSON.")
            )
        except ValueError:
            return None  # not JSON: the API's own parser answers 400
        fields = list(bad_json_strings(document))
        if fields:
            return self._refuse(request, api, fields)
        return None
