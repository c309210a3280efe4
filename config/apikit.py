"""The API's shared plumbing: problem+json, pagination, the money type, the error schemas.

Every app's ``api`` module imports from here; ``config.api`` builds the one ``NinjaAPI``
object, registers every router there and turns domain errors into problem+json with
``problem``. Nothing here imports an app's router, so routers and the API object do not
import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, cast
from urllib.parse import urlencode

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BeforeValidator, Field

from grants.errors import InvalidInput

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)


class Pageable(Protocol[_T_co]):
    """What ``paginate`` reads: a QuerySet, or a list that counts itself (workflows.api)."""

    def count(self) -> int: ...
    def __getitem__(self, key: slice, /) -> Iterable[_T_co]: ...


PROBLEM_TYPE = "urn:fundflow:problem:"
PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(
    status: int, slug: str, title: str | StrPromise, detail: str | StrPromise = "", **extra: Any
) -> JsonResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + slug,
        "title": str(title),
        "status": status,
        "detail": str(detail),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    response = JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="fundflow"'
    return response


COUNT_LIMIT = 10_000


def paginate(
    request: HttpRequest, queryset: Pageable[_T], serialize: Callable[[_T], Any]
) -> dict[str, Any]:
    """``?page=N&page_size=M`` (max 200) → ``count, next, previous, results``."""
    errors: list[dict[str, str]] = []
    try:
        page = int(request.GET.get("page", "1"))
        if page < 1:
            raise ValueError
    except ValueError:
        errors.append({"field": "page", "message": _("A page number from 1.")})
        page = 1
    try:
        size = int(request.GET.get("page_size", "50"))
        if not 1 <= size <= 200:
            raise ValueError
    except ValueError:
        errors.append({"field": "page_size", "message": _("A page size from 1 to 200.")})
        size = 50
    if errors:
        raise InvalidInput(errors)
    # Counting is bounded: past COUNT_LIMIT rows the list says so (count_exact false)
    # instead of counting every row of a large table on every page.
    bounded = queryset[: COUNT_LIMIT + 1]
    counted = len(bounded) if isinstance(bounded, list) else cast(Pageable[_T], bounded).count()
    exact = counted <= COUNT_LIMIT
    count = counted if exact else COUNT_LIMIT
    start = (page - 1) * size
    rows = list(queryset[start : start + size + 1])
    has_next = len(rows) > size
    results = [serialize(obj) for obj in rows[:size]]

    def link(n: int) -> str:
        params = request.GET.copy()
        params["page"] = str(n)
        params["page_size"] = str(size)
        return request.build_absolute_uri(request.path + "?" + urlencode(sorted(params.items())))

    return {
        "count": count,
        "count_exact": exact,
        "next": link(page + 1) if has_next else None,
        "previous": link(page - 1) if page > 1 and count else None,
        "results": results,
    }


def _reject_number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(_('Give the amount as a string such as "30000.00", not a number.'))
    return value


MoneyStr = Annotated[
    str, BeforeValidator(_reject_number), Field(description='Decimal string, e.g. "30000.00"')
]


def minimal_preferred(request: Any, response: Any) -> bool:
    """True when the client sent ``Prefer: return=minimal`` (RFC 7240); the response is then
    marked ``Preference-Applied`` and the caller answers with its compact form."""
    wanted = "return=minimal" in request.headers.get("Prefer", "").replace(" ", "").lower()
    if wanted:
        response["Preference-Applied"] = "return=minimal"
    return wanted


class StatusMinimalOut(Schema):
    """The answer to ``Prefer: return=minimal``: where the application now stands."""

    id: int
    status: str
    level: str | None


class Page(Schema):
    count: int
    # false when the list holds more than COUNT_LIMIT (10,000) rows: count is then that limit
    count_exact: bool = True
    next: str | None
    previous: str | None


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


ERRORS = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    413: Problem,
    422: Problem,
}
