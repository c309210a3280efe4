"""The public HTTP API v1 (contract: shared/spec/api.md), built on django-ninja.

django-ninja over DRF: the contract is small and typed, ninja derives the
OpenAPI schema from the same pydantic schemas that validate input, ships its
Swagger UI as static files (no CDN), and keeps endpoints as plain functions
that call the domain services. Every error leaves here as
application/problem+json (RFC 9457).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, django_auth

from grants.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)

PROBLEM_TYPE = "urn:fundflow:problem:"
PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(status: int, slug: str, title: str, detail: str = "", **extra: Any) -> JsonResponse:
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


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        from grants.services import token_user

        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class Utf8Renderer(JSONRenderer):
    """JSON with Chinese as characters, not \\u escapes; Decimal as strings."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Utf8Renderer(),
    title="fundflow API",
    version="1",
    description="Grant applications, review chains, awards and payments. Money is a decimal string.",
    urls_namespace="api-v1",
    auth=[BearerAuth(), django_auth],
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    extra = dict(exc.extra)
    if exc.errors:
        extra["errors"] = exc.errors
    return problem(exc.status, exc.slug, exc.title, exc.detail, **extra)


def _field_path(loc: tuple | list) -> str:
    parts = [
        p for p in loc if p not in ("body", "payload", "query", "path", "form", "file", "data")
    ] or list(loc[-1:])
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    errors = []
    malformed = False
    for err in exc.errors:
        if (
            err.get("type") in {"json_invalid", "model_attributes_type"}
            and len(err.get("loc", ())) <= 2
        ):
            malformed = True
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        errors.append({"field": _field_path(err.get("loc", ())), "message": message})
    if malformed:
        return problem(
            400,
            "malformed",
            _("Malformed request"),
            _("The body is not a JSON object."),
            errors=errors,
        )
    return problem(
        422,
        "invalid-input",
        _("The input is not valid"),
        _("Please correct the fields listed in errors."),
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return problem(
        401,
        "unauthenticated",
        _("Not logged in"),
        _("Send Authorization: Bearer <token> from POST /api/v1/auth/token, or log in."),
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return problem(
        403, "forbidden", _("Not allowed"), str(exc) or _("Your role does not allow this.")
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return problem(
        404, "not-found", _("Not found"), _("Nothing here, or it is not visible to you.")
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if exc.status_code == 400:
        return problem(400, "malformed", _("Malformed request"), str(exc))
    return problem(exc.status_code, "http-error", str(exc), str(exc))


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return problem(
        500,
        "server-error",
        _("Internal error"),
        _("Something went wrong on our side; nothing was changed. The error has been logged."),
    )


def paginate(request: HttpRequest, queryset, serialize) -> dict[str, Any]:
    """``?page=N&page_size=M`` (max 200) → ``count, next, previous, results``."""
    errors = []
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
    count = queryset.count()
    start = (page - 1) * size
    results = [serialize(obj) for obj in queryset[start : start + size]] if start < count else []

    def link(n: int) -> str:
        params = request.GET.copy()
        params["page"] = str(n)
        params["page_size"] = str(size)
        return request.build_absolute_uri(request.path + "?" + urlencode(sorted(params.items())))

    return {
        "count": count,
        "next": link(page + 1) if start + size < count else None,
        "previous": link(page - 1) if page > 1 and count else None,
        "results": results,
    }


@api.get("/health", auth=None, tags=["system"], summary="Liveness: touches no database")
def health(request):
    return {"ok": True, "version": api.version, "language": request.LANGUAGE_CODE}


def register_routers() -> None:
    from grants.api import router as grants_router
    from letters.api import router as letters_router
    from rules.api import router as rules_router
    from workflows.api import router as workflows_router

    api.add_router("", grants_router)
    api.add_router("", workflows_router)
    api.add_router("", rules_router)
    api.add_router("", "finance.api.router")
    api.add_router("", "agencies.api.router")
    api.add_router("/navigation", "navigation.api.router")
    api.add_router("", letters_router)


register_routers()
