"""The public HTTP API v1 (contract: shared/spec/api.md), built on django-ninja.

django-ninja over DRF: the contract is small and typed, ninja derives the
OpenAPI schema from the same pydantic schemas that validate input, ships its
Swagger UI as static files (no CDN), and keeps endpoints as plain functions
that call the domain services. Every error leaves here as
application/problem+json (RFC 9457).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, django_auth

from agencies import api as agencies_api
from config.apikit import problem
from finance import api as finance_api
from grants import api as grants_api
from grants.errors import DomainError
from letters import api as letters_api
from navigation import api as navigation_api
from rules import api as rules_api
from workflows import api as workflows_api

log = logging.getLogger(__name__)


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


@api.get("/health", auth=None, tags=["system"], summary="Liveness: touches no database")
def health(request):
    return {"ok": True, "version": api.version, "language": request.LANGUAGE_CODE}


api.add_router("", grants_api.router)
api.add_router("", workflows_api.router)
api.add_router("", rules_api.router)
api.add_router("", finance_api.router)
api.add_router("", agencies_api.router)
api.add_router("/navigation", navigation_api.router)
api.add_router("", letters_api.router)
